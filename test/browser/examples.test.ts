/**
 * The browser examples in Chromium. examples/browser-webgpu is served by the Vite dev
 * server exactly as `npm run dev -w examples/browser-webgpu` serves it, and must show
 * Silero VAD's result with device webgpu (a screenshot goes to
 * test-results/browser-webgpu.png), or wasm when the adapter is hidden.
 * examples/electron's renderer code runs in a page that looks like an Electron renderer
 * (a `process` global with `type: 'renderer'`), with the test acting as the main process.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadModel } from 'inproc';
import { testSignal } from '../../examples/electron/src/renderer/demo.js';
import { vadProbabilities } from '../../examples/electron/src/shared/vad.js';
import { PRETEND_HARDWARE_ADAPTER, REPO_ROOT, RESULTS_DIR, bytesRoute, launchChromium, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';

const EXAMPLE = join(REPO_ROOT, 'examples/browser-webgpu');
const VAD_PATH = join(REPO_ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

describeInChromium('examples/browser-webgpu on the Vite dev server', { timeout: 180_000 }, () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    server = await createServer({ root: EXAMPLE, configFile: join(EXAMPLE, 'vite.config.ts'), logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    const address = server.httpServer?.address();
    if (address === null || typeof address !== 'object' || address === undefined) throw new Error('the dev server has no port');
    url = `http://localhost:${address.port}/`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(device: string, initScript?: string) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    if (initScript !== undefined) await page.addInitScript(initScript);
    await page.goto(`${url}?device=${device}`);
    // The dev server may optimise dependencies on the first visit and reload the page once.
    await page.waitForFunction(() => document.body.dataset['state'] === 'done' || document.body.dataset['state'] === 'failed', undefined, { timeout: 150_000 });
    const text = async (id: string) => (await page.locator(`#${id}`).textContent())?.trim();
    return { context, page, errors, state: await text('state'), device: await text('device'), latency: await text('latency'), result: await text('result'), error: await text('error') };
  }

  it('shows speech found by Silero VAD with device webgpu where auto finds a GPU (screenshot in test-results/)', async () => {
    // SwiftShader, dressed up as a hardware adapter: auto passes a software adapter over.
    const shown = await open('auto', PRETEND_HARDWARE_ADAPTER);
    try {
      expect(shown.error).toBe('');
      expect(shown.state).toBe('done');
      expect(shown.device).toBe('webgpu');
      expect(shown.latency).toMatch(/^\d+\.\d\d ms per 32 ms chunk \(\d+ runs\)$/);
      expect(shown.result).toMatch(/^\d+\.\d\d–\d+\.\d\d s/);
      await mkdir(RESULTS_DIR, { recursive: true });
      await shown.page.screenshot({ path: join(RESULTS_DIR, 'browser-webgpu.png'), fullPage: true });
      expect(shown.errors).toEqual([]);
    } finally {
      await shown.context.close();
    }
  });

  it('shows the same segments on wasm when the page has no WebGPU adapter', async () => {
    const gpu = await open('webgpu');
    const wasm = await open('auto', 'navigator.gpu.requestAdapter = async () => null;');
    try {
      expect(wasm.device).toBe('wasm');
      expect(wasm.result).toBe(gpu.result);
    } finally {
      await gpu.context.close();
      await wasm.context.close();
    }
  });

  it('reports DEVICE_UNAVAILABLE on the page when webgpu is demanded without an adapter', async () => {
    const shown = await open('webgpu', 'navigator.gpu.requestAdapter = async () => null;');
    try {
      expect(shown.state).toBe('failed');
      expect(shown.error).toMatch(/^DEVICE_UNAVAILABLE: /);
    } finally {
      await shown.context.close();
    }
  });
});

describeInChromium('examples/electron renderer code in Chromium', { timeout: 180_000 }, () => {
  it('runs on WebGPU in an Electron-like renderer and matches the main process (onnx-node)', async () => {
    const env = await openBrowserTest({
      entry: fileURLToPath(new URL('./pages/electron-renderer.page.ts', import.meta.url)),
      routes: { '/models/silero_vad_v5.onnx': bytesRoute(new Uint8Array(await readFile(VAD_PATH))) },
      // What Electron puts in a renderer with nodeIntegration: Node's process object, type 'renderer'.
      // (and SwiftShader dressed up as a GPU, which auto would pass over).
      page: { initScript: `globalThis.process = { type: 'renderer', platform: 'linux', env: {}, versions: { node: '22.20.0', electron: '39.2.0', chrome: '142.0.0.0' } }; ${PRETEND_HARDWARE_ADAPTER}` },
    });
    try {
      // The test plays the main process: the same code as examples/electron/src/main, on onnx-node.
      await using mainModel = await loadModel(VAD_PATH, { backend: 'onnx-node' });
      await env.page.page.exposeFunction('inprocMainVad', (samples: number[]) => vadProbabilities(mainModel, Float32Array.from(samples)));
      const out = await env.page.call<{ device: string; backend: string; probabilities: number[]; maxDiffFromMain: number; backends: string[]; processType: string }>('demo');
      expect(out.processType).toBe('renderer');
      expect(out.backends).toContain('onnx-web');
      expect(out.backends).not.toContain('onnx-node');
      expect(out.backend).toBe('onnx-web');
      expect(out.device).toBe('webgpu');
      expect(out.probabilities).toHaveLength(Math.floor(testSignal(2).length / 512));
      expect(out.maxDiffFromMain).toBeLessThan(1e-3);
      expect(env.page.errors).toEqual([]);
    } finally {
      await env.close();
    }
  });
});

