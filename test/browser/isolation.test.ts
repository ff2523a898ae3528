/**
 * `isolation: 'worker'` in a real browser: the model runs in Web Workers (onnx-web, wasm)
 * started from the app's own worker file; answers match the reference MLP, the page
 * stays responsive during a run, and everything is released on dispose.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mlpModel, mlpReference, slowModel } from '@inproc/testkit/onnx/models';
import { type BrowserTestEnv, bytesRoute, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };

describeInChromium("isolation: 'worker' in Chromium", { timeout: 120_000 }, () => {
  let env: BrowserTestEnv;

  beforeAll(async () => {
    env = await openBrowserTest({
      entry: fileURLToPath(new URL('./pages/isolation.page.ts', import.meta.url)),
      vite: { worker: { format: 'es' } },
      routes: {
        '/fixtures/mlp.onnx': bytesRoute(mlpModel(256)),
        '/fixtures/slow.onnx': bytesRoute(slowModel({ depth: 30, rows: 256 })),
      },
    });
  }, 180_000);

  afterAll(async () => {
    await env?.close();
  });

  it('runs the model in Web Workers with the reference answers, and frees everything on dispose', async () => {
    const input = Array.from({ length: 2 * 256 }, (_, i) => Math.sin(i * 0.37) * 2);
    const result = await env.page.call<{
      backend: string;
      device: string;
      metadata: Record<string, unknown>;
      before: object;
      during: { models: number; sessions: number };
      after: object;
      outputs: number[][];
    }>('mlp', input, 2, 2);
    expect(result.backend).toBe('onnx-web');
    expect(result.device).toBe('wasm');
    expect(result.metadata).toMatchObject({ isolation: 'worker', workers: 2 });
    expect(result.before).toEqual(ZERO);
    expect(result.during).toMatchObject({ models: 1, sessions: 2 }); // one session per worker
    expect(result.after).toEqual(ZERO);
    const want = mlpReference(Float32Array.from(input), 2, 256);
    for (const out of result.outputs) want.forEach((v, k) => expect(out[k]).toBeCloseTo(v, 3));
  });

  it('keeps the page answering timers while the model runs', async () => {
    const result = await env.page.call<{ ticks: number; runMs: number; after: object }>('responsive');
    expect(result.ticks).toBeGreaterThan(0);
    expect(result.after).toEqual(ZERO);
  });

  it('reports a model the workers cannot load', async () => {
    expect(await env.page.call('badModel')).toBe('MODEL_INVALID');
  });
});
