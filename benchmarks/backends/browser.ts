/**
 * Runs the Chromium cases of the `backends` suite with the repository's browser harness
 * (@inproc/testkit/browser/harness): one Vite build of bench.page.ts, models served from
 * http://localhost, Debian's Chromium driven by playwright-core, a fresh page (and browser
 * context) per case. Without /usr/bin/chromium the cases are skipped with the reason.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, buildPage, bytesRoute, chromiumSkipReason, launchChromium, openPage, serveStatic, type RouteHandler } from '@inproc/testkit/browser/harness';
import type { SamplingPlan } from '../lib/measure.js';
import type { CaseSpec } from './cases.js';
import type { CaseOutcome } from './run-case.js';
import { modelFiles } from './sources.js';

const TFJS_WASM_DIR = join(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');

export interface BrowserRun {
  readonly browser: string;
  /** The WebGPU adapter the page got (vendor, architecture, description), when any. */
  readonly gpu: string | undefined;
  readonly outcomes: ReadonlyMap<string, CaseOutcome & { modelBytes?: number }>;
}

async function routes(cases: readonly CaseSpec[]): Promise<{ routes: Record<string, RouteHandler>; sizes: Map<string, number> }> {
  const out: Record<string, RouteHandler> = {};
  const sizes = new Map<string, number>();
  for (const id of new Set(cases.map((c) => c.model.id))) {
    const files = await modelFiles(id);
    sizes.set(id, files.bytes);
    out[`/models/${id}/${files.mainName}`] = bytesRoute(files.main, files.mainName === 'model.json' ? 'application/json' : 'application/octet-stream');
    for (const [name, bytes] of Object.entries(files.shards)) out[`/models/${id}/${name}`] = bytesRoute(bytes);
  }
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    out[`/tfjs-wasm/${file}`] = bytesRoute(new Uint8Array(await readFile(join(TFJS_WASM_DIR, file))), 'application/wasm');
  }
  return { routes: out, sizes };
}

/** Runs `cases` in Chromium; `onCase` reports progress. */
export async function runBrowserCases(cases: readonly CaseSpec[], plan: (c: CaseSpec) => SamplingPlan, onCase: (c: CaseSpec, o: CaseOutcome) => void): Promise<BrowserRun> {
  const outcomes = new Map<string, CaseOutcome & { modelBytes?: number }>();
  const reason = chromiumSkipReason();
  if (reason !== undefined) {
    for (const c of cases) {
      const o: CaseOutcome = { status: 'skipped', reason };
      outcomes.set(c.id, o);
      onCase(c, o);
    }
    return { browser: 'none', gpu: undefined, outcomes };
  }
  const built = await buildPage({ entry: fileURLToPath(new URL('./bench.page.ts', import.meta.url)), title: 'inproc backends benchmark' });
  const { routes: r, sizes } = await routes(cases);
  const server = await serveStatic(built.dir, { routes: r });
  const browser = await launchChromium(['--enable-precise-memory-info']);
  try {
    const probe = await openPage(browser, server.url);
    const gpu = await probe.call<string | null>('gpuAdapter').finally(() => probe.close());
    for (const c of cases) {
      const page = await openPage(browser, server.url);
      let outcome: CaseOutcome;
      try {
        outcome = await page.call<CaseOutcome>('runCase', c.model.id, c.runtime.backend, c.runtime.device, plan(c));
      } catch (error) {
        outcome = { status: 'failed', error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
      } finally {
        await page.close();
      }
      const size = sizes.get(c.model.id);
      outcomes.set(c.id, size === undefined ? outcome : { ...outcome, modelBytes: size });
      onCase(c, outcome);
    }
    return { browser: `Chromium ${browser.version()}`, gpu: gpu ?? undefined, outcomes };
  } finally {
    await browser.close();
    await server.close();
  }
}
