/**
 * Errors that point the right way in a browser (issue 23): when onnxruntime-web's
 * `.wasm` or `.mjs` is missing (404) or served as something else (an HTML page where a
 * single-page app answers every path), or the isolation worker's script is missing, the
 * error names the URL the page asked for, what it answered, and the fix (`wasmPaths`,
 * copy both files) — and does not blame a backend that merely lacks the device.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { type BrowserTestEnv, type RouteHandler, REPO_ROOT, bytesRoute, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
const WASM = 'ort-wasm-simd-threaded.jsep.wasm';
const MJS = 'ort-wasm-simd-threaded.jsep.mjs';
const HTML = new TextEncoder().encode('<!doctype html><html><body>index.html of a single-page app</body></html>');

async function routes(): Promise<Record<string, RouteHandler>> {
  const dist = join(REPO_ROOT, 'node_modules/onnxruntime-web/dist');
  const wasm = new Uint8Array(await readFile(join(dist, WASM)));
  const mjs = new Uint8Array(await readFile(join(dist, MJS)));
  return {
    '/fixtures/mlp.onnx': bytesRoute(mlpModel(256)),
    // Both files: the control case.
    [`/ort-both/${WASM}`]: bytesRoute(wasm, 'application/wasm'),
    [`/ort-both/${MJS}`]: bytesRoute(mjs, 'text/javascript'),
    // Only the .wasm was copied (the README used to say so).
    [`/ort-wasm-only/${WASM}`]: bytesRoute(wasm, 'application/wasm'),
    // Only the .mjs.
    [`/ort-mjs-only/${MJS}`]: bytesRoute(mjs, 'text/javascript'),
    // A single-page app's server: index.html, 200, for every path.
    [`/spa/${WASM}`]: bytesRoute(HTML, 'text/html'),
    [`/spa/${MJS}`]: bytesRoute(HTML, 'text/html'),
    '/spa/worker.js': bytesRoute(HTML, 'text/html'),
  };
}

describeInChromium('errors that name the URL and the fix in a browser', { timeout: 120_000 }, () => {
  let env: BrowserTestEnv;

  beforeAll(async () => {
    env = await openBrowserTest({ entry: fileURLToPath(new URL('./pages/runtime-files.page.ts', import.meta.url)), routes: await routes() });
  }, 180_000);

  afterAll(async () => {
    await env?.close();
  });

  type Outcome = { ok: boolean; code?: string; message?: string; device?: string; resources: object };
  async function inFreshPage(fn: string, ...args: unknown[]): Promise<Outcome> {
    const page = await env.openPage();
    try {
      return await page.call<Outcome>(fn, ...args);
    } finally {
      await page.close();
    }
  }

  it('loads when both files are where wasmPaths says (the control case)', async () => {
    expect(await inFreshPage('withWasmPaths', '/ort-both/', 'wasm')).toEqual({ ok: true, device: 'wasm', resources: ZERO });
  });

  for (const [what, folder, missing] of [
    ['the .wasm is missing (404)', '/ort-mjs-only/', WASM],
    ['the .mjs beside it is missing (404)', '/ort-wasm-only/', MJS],
  ] as const) {
    it(`names the URL and HTTP 404 when ${what}, and the fix; no word about kserve`, async () => {
      const out = await inFreshPage('withWasmPaths', folder, 'wasm');
      expect(out).toMatchObject({ ok: false, code: 'BACKEND_UNAVAILABLE', resources: ZERO });
      expect(out.message).toContain(`GET ${env.server.url}${folder.slice(1)}${missing} answered HTTP 404`);
      expect(out.message).toContain(`serve both ${WASM} and ${MJS}`);
      expect(out.message).toMatch(/wasmPaths/);
      expect(out.message).not.toMatch(/kserve/);
    });
  }

  it('says an HTML page came back where the module was expected (a single-page app fallback)', async () => {
    const out = await inFreshPage('withWasmPaths', '/spa/', 'auto');
    expect(out).toMatchObject({ ok: false, code: 'BACKEND_UNAVAILABLE', resources: ZERO });
    expect(out.message).toContain(`GET ${env.server.url}spa/${MJS} answered "text/html" (an HTML page`);
    expect(out.message).toContain(`GET ${env.server.url}spa/${WASM} answered "text/html" (an HTML page`);
    // Under 'auto' every backend had its turn; none is blamed for lacking the device.
    expect(out.message).not.toMatch(/has no device/);
  });

  it("names the worker script's URL and HTTP 404 when the isolation worker's file is missing", async () => {
    const out = await inFreshPage('withWorkerAt', '/assets/no-such-worker.js');
    expect(out).toMatchObject({ ok: false, code: 'WORKER_CRASHED', resources: ZERO });
    expect(out.message).toContain(`the worker script ${env.server.url}assets/no-such-worker.js could not be loaded: HTTP 404`);
  });

  it('says when the worker script is served as something other than JavaScript', async () => {
    const out = await inFreshPage('withWorkerAt', '/spa/worker.js');
    expect(out).toMatchObject({ ok: false, code: 'WORKER_CRASHED', resources: ZERO });
    expect(out.message).toContain(`the worker script ${env.server.url}spa/worker.js is served as "text/html"`);
  });
});
