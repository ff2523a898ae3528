/**
 * onnx-web in headless Chromium: the backend conformance suite run inside the page on
 * `wasm` and on `webgpu` (SwiftShader), numerics against onnx-node on the same models
 * (the synthetic MLP and Silero VAD v5), GPU-resident outputs, per-session
 * serialization, loading from URLs, device fallback without a WebGPU adapter, runtime
 * options, and `resources()` back to zero. Latency per run is printed, never asserted.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, loadModel } from 'inproc';
import { conformanceChecks } from '../conformance/suite.js';
import { onnxFixtures } from '../conformance/fixtures.js';
import { chirp as audio } from '@inproc/testkit/audio';
import { slowModel } from '@inproc/testkit/onnx/models';
import { type BrowserTestEnv, type HarnessPage, type RouteHandler, PRETEND_HARDWARE_ADAPTER, REPO_ROOT, bytesRoute, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';

const VAD_PATH = join(REPO_ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };

/** Hides the WebGPU adapter, as on a machine without a usable GPU. */
const NO_ADAPTER = `navigator.gpu.requestAdapter = async () => null;`;
/** An adapter whose device cannot be created (e.g. a blocklisted driver). */
const NO_DEVICE = `GPUAdapter.prototype.requestDevice = async function () { throw new Error('device creation refused by the test'); };`;
/** No WebGPU at all, as in a browser without it. */
const NO_WEBGPU = `Object.defineProperty(Navigator.prototype, 'gpu', { configurable: true, get: () => undefined });`;

function routes(vad: Uint8Array): Record<string, RouteHandler> {
  // A lighter "slow" model: WebGPU runs on SwiftShader (the CPU) here, and the checks
  // that use it need a run in flight, not a long one.
  const fixtures = { ...onnxFixtures(), slow: slowModel({ depth: 4, rows: 128 }) };
  const out: Record<string, RouteHandler> = {};
  for (const [name, bytes] of Object.entries(fixtures)) out[`/fixtures/${name}.onnx`] = bytesRoute(bytes);
  out['/models/silero_vad_v5.onnx'] = bytesRoute(vad);
  out['/not-a-model.onnx'] = bytesRoute(new TextEncoder().encode('<!doctype html><html><body>index.html of a single-page app</body></html>'), 'text/html');
  // The MLP in 8 pieces with pauses between them, so that the page sees several progress events.
  out['/chunked/mlp.onnx'] = async (_request, response) => {
    const bytes = fixtures.mlp;
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
    const piece = Math.ceil(bytes.byteLength / 8);
    for (let offset = 0; offset < bytes.byteLength; offset += piece) {
      response.write(bytes.subarray(offset, offset + piece));
      await new Promise((r) => setTimeout(r, 30));
    }
    response.end();
  };
  // Sends the first 64 KiB and then nothing: only an abort ends this load.
  out['/stalling/mlp.onnx'] = (request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fixtures.mlp.byteLength });
    response.write(fixtures.mlp.subarray(0, 65536));
    request.on('close', () => response.destroy());
  };
  return out;
}

/** A localhost port on which nothing listens (found free, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function vadOnNode(samples: number[], frames: number): Promise<{ probabilities: number[]; state: number[] }> {
  await using model = await loadModel(VAD_PATH, { backend: 'onnx-node', device: 'cpu' });
  let state: Tensor = new Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const sr = new Tensor('int64', [16000n], []);
  const probabilities: number[] = [];
  for (let f = 0; f < frames; f++) {
    const out = await model.run({ input: new Tensor('float32', Float32Array.from(samples.slice(f * 512, (f + 1) * 512)), [1, 512]), state, sr });
    probabilities.push((out['output']!.data as Float32Array)[0]!);
    state = out['stateN']!;
  }
  return { probabilities, state: Array.from(state.data as Float32Array) };
}

describeInChromium('onnx-web in headless Chromium', { timeout: 180_000 }, () => {
  let env: BrowserTestEnv;
  let page: HarnessPage;

  beforeAll(async () => {
    env = await openBrowserTest({
      entry: fileURLToPath(new URL('./pages/onnx-web.page.ts', import.meta.url)),
      routes: routes(new Uint8Array(await readFile(VAD_PATH))),
    });
    page = env.page;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('registers onnx-web (and no Node backend), finds the SwiftShader WebGPU adapter and leaves it out of auto', async () => {
    const info = await page.call<{ backends: string[]; autoDevices: string[]; hasGpu: boolean }>('environment');
    expect(info.backends).toContain('onnx-web:50');
    expect(info.backends.some((b) => b.startsWith('onnx-node'))).toBe(false);
    expect(info.hasGpu).toBe(true);
    // SwiftShader runs on the CPU, slower than WASM: 'auto' prefers WASM, 'webgpu' by name still uses it.
    expect(info.autoDevices).toEqual(['wasm']);
  });

  for (const device of ['wasm', 'webgpu', 'auto']) {
    describe(`conformance suite in the page (${device})`, () => {
      for (const check of conformanceChecks) {
        it(check.name, async () => {
          const after = await page.call('check', device, check.name);
          expect(after).toEqual(ZERO);
        });
      }
    });
  }

  for (const device of ['wasm', 'webgpu']) {
    it(`computes the MLP like onnx-node (${device})`, async () => {
      const data = Array.from({ length: 3 * 256 }, (_, i) => Math.cos(i * 0.11) * 1.5);
      const web = await page.call<{ device: string; y: number[] }>('runMlp', device, data, 3);
      expect(web.device).toBe(device);
      await using model = await loadModel(onnxFixtures().mlp, { backend: 'onnx-node', device: 'cpu' });
      const { y } = await model.run({ x: new Tensor('float32', Float32Array.from(data), [3, 256]) });
      expect(maxDiff(web.y, y!.data as Float32Array)).toBeLessThan(1e-4);
    });

    it(`computes Silero VAD v5 like onnx-node, state carried over 8 frames (${device})`, async () => {
      const samples = audio(8);
      const web = await page.call<{ device: string; probabilities: number[]; state: number[] }>('runVad', device, samples, 8);
      expect(web.device).toBe(device);
      const node = await vadOnNode(samples, 8);
      expect(maxDiff(web.probabilities, node.probabilities)).toBeLessThan(1e-3);
      expect(maxDiff(web.state, node.state)).toBeLessThan(1e-3);
      expect(await page.call('resourcesNow')).toEqual(ZERO);
    });

    it(`takes turns: two models called concurrently (concurrency 4 each) all get their own answers (${device})`, async () => {
      const out = await page.call<{ devices: string[]; calls: number; worst: number }>('sideBySide', device);
      expect(out.devices).toEqual([device, device]);
      expect(out.calls).toBe(20);
      expect(out.worst).toBeLessThan(1e-3);
      expect(await page.call('resourcesNow')).toEqual(ZERO);
    });
  }

  it('keeps WebGPU outputs on the GPU, owned by dispose() and counted by resources()', async () => {
    const facts = await page.call<Record<string, unknown>>('gpuOutputs');
    expect(facts).toMatchObject({
      device: 'webgpu',
      tensorsAfterRun: 1,
      tensorBytes: 2 * 256 * 4,
      dataCode: 'INPUT_INVALID',
      chainedLocation: 'gpu-buffer',
      liveBeforeDispose: 2,
      liveAfterOneDispose: 1,
      disposedInputCode: 'DISPOSED',
      y2DisposedByModel: true,
      afterModelDispose: ZERO,
      getDataAfterDispose: 'DISPOSED',
    });
    expect(facts['downloadDiff']).toBeLessThan(1e-3);
    expect(facts['chainedDiff']).toBeLessThan(1e-3);
  });

  it('neither runs nor leaks the GPU outputs of a call aborted while it waited for its turn in the backend', async () => {
    expect(await page.call('abortGpuRun')).toEqual({ inBackend: 2, code: 'ABORTED', liveAfterC: 2, tensors: 0 });
    expect(await page.call('resourcesNow')).toEqual(ZERO);
  });

  it('loads from URLs with streamed progress, abort, 404, network errors and non-models', async () => {
    const out = await page.call<Record<string, unknown> & { progress: { loaded: number; total?: number }[] }>('urlLoading', await closedPort());
    const size = onnxFixtures().mlp.byteLength;
    expect(out['source']).toBe(`${env.server.url}chunked/mlp.onnx`);
    expect(out.progress.length).toBeGreaterThan(1);
    expect(out.progress.at(-1)).toEqual({ loaded: size, total: size });
    for (let i = 1; i < out.progress.length; i++) expect(out.progress[i]!.loaded).toBeGreaterThan(out.progress[i - 1]!.loaded);
    expect(out).toMatchObject({
      abortedCode: 'ABORTED',
      preAbortedCode: 'ABORTED',
      notFoundCode: 'MODEL_NOT_FOUND',
      notFoundStatus: 404,
      networkCode: 'MODEL_NOT_FOUND',
      htmlCode: 'MODEL_INVALID',
      htmlAsOnnxCode: 'MODEL_INVALID',
      resources: ZERO,
    });
  });

  it('reports webnn as DEVICE_UNAVAILABLE where the browser has no WebNN; auto picks wasm over the software adapter, webgpu by name uses it', async () => {
    const out = await page.call<Record<string, unknown>>('deviceChoices');
    expect(out['autoDevices']).toEqual(['wasm']);
    expect(out['webgpu']).toBe('loaded on webgpu');
    expect(out['webnn']).toMatch(/^DEVICE_UNAVAILABLE: [^]*WebNN is not available/);
    expect(out['auto']).toBe('wasm');
    expect(out['autoDiff']).toBeLessThan(1e-3);
    expect(out['fallbackLocation']).toBe('cpu');
    expect(await page.call('resourcesNow')).toEqual(ZERO);
  });

  it('picks webgpu under auto when the adapter is a GPU (not a fallback, no software renderer name)', async () => {
    const other = await env.openPage({ initScript: PRETEND_HARDWARE_ADAPTER });
    try {
      const out = await other.call<Record<string, unknown>>('deviceChoices');
      expect(out['autoDevices']).toEqual(['webgpu', 'wasm']);
      expect(out['auto']).toBe('webgpu');
      expect(out['autoDiff']).toBeLessThan(1e-3);
      expect(out['fallbackLocation']).toBe('gpu-buffer');
      expect(await other.call('resourcesNow')).toEqual(ZERO);
    } finally {
      await other.close();
    }
  });

  for (const [what, script, reason] of [
    ['the adapter is hidden', NO_ADAPTER, /returned no adapter/],
    ['the adapter cannot create a device', NO_DEVICE, /could not create a device: device creation refused/],
    ['navigator.gpu is missing', NO_WEBGPU, /navigator\.gpu is missing/],
  ] as const) {
    it(`falls back to wasm under auto and refuses webgpu with DEVICE_UNAVAILABLE when ${what}`, async () => {
      const other = await env.openPage({ initScript: script });
      try {
        const out = await other.call<Record<string, unknown>>('deviceChoices');
        expect(out['autoDevices']).toEqual(['wasm']);
        expect(out['webgpu']).toMatch(/^DEVICE_UNAVAILABLE: /);
        expect(out['webgpu']).toMatch(reason);
        expect(out['auto']).toBe('wasm');
        expect(out['autoDiff']).toBeLessThan(1e-3);
        expect(out['fallbackLocation']).toBe('cpu');
        expect(await other.call('resourcesNow')).toEqual(ZERO);
      } finally {
        await other.close();
      }
    });
  }

  it('applies runtime options: one thread, SIMD check, the package-served .wasm files', async () => {
    const other = await env.openPage();
    try {
      const out = await other.call<{ diff: number }>('withRuntimeOptions', { numThreads: 1, simd: true });
      expect(out).toMatchObject({ ok: true, device: 'wasm', inputLength: 256, resources: ZERO });
      expect(out.diff).toBeLessThan(1e-3);
    } finally {
      await other.close();
    }
  });

  it('runs in the proxy worker when asked', async () => {
    const other = await env.openPage();
    try {
      const out = await other.call<{ ok: boolean; diff?: number; message?: string }>('withRuntimeOptions', { proxy: true });
      expect(out, out.message).toMatchObject({ ok: true, device: 'wasm', inputLength: 256, resources: ZERO });
      expect(out.diff).toBeLessThan(1e-3);
      expect(await other.call('proxyDevices')).toEqual({ autoDevices: ['wasm'], webgpu: 'DEVICE_UNAVAILABLE' });
    } finally {
      await other.close();
    }
  });

  it('says BACKEND_UNAVAILABLE, naming wasmPaths, when the .wasm files are not where it was told', async () => {
    const other = await env.openPage();
    try {
      const out = await other.call<{ ok: boolean; code?: string; message?: string }>('withRuntimeOptions', { wasmPaths: '/nowhere/' });
      expect(out).toMatchObject({ ok: false, code: 'BACKEND_UNAVAILABLE', resources: ZERO });
      expect(out.message).toMatch(/wasmPaths/);
    } finally {
      await other.close();
    }
  });

  it('measures latency per run, WASM vs WebGPU (SwiftShader), for the MLP and Silero VAD (printed, not asserted)', async () => {
    const rows: string[] = [];
    for (const which of ['mlp', 'vad'] as const) {
      for (const device of ['wasm', 'webgpu']) {
        const r = await page.call<{ device: string; firstMs: number; meanMs: number; runs: number }>('latency', device, which, which === 'mlp' || device === 'wasm' ? 100 : 20);
        expect(r.device).toBe(device);
        rows.push(`${which.padEnd(4)} ${device.padEnd(7)} first run ${r.firstMs.toFixed(1)} ms, then ${r.meanMs.toFixed(3)} ms per run (mean of ${r.runs})`);
      }
    }
    console.log(`[onnx-web latency in Chromium, ${env.browser.version()}]\n  ${rows.join('\n  ')}`);
    expect(await page.call('resourcesNow')).toEqual(ZERO);
  });

  it('logged no errors to the console of the page, but for the requests that were meant to fail', () => {
    const meant = /^Failed to load resource: (the server responded with a status of 404 \(Not Found\)|net::ERR_CONNECTION_REFUSED)$/;
    expect(page.errors.filter((e) => !meant.test(e))).toEqual([]);
    // The 404 of /fixtures/no-such-model.onnx and the refused connection.
    expect(page.errors.filter((e) => meant.test(e))).toHaveLength(2);
  });
});
