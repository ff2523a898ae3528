/**
 * The page that the onnx-web browser tests drive (built with Vite, `inproc` resolved
 * with the browser condition, so it registers onnx-web). It exposes the conformance
 * checks and the browser-only checks: WebGPU outputs kept on the GPU, per-session
 * serialization, loading from URLs, runtime options, and latency figures.
 */
import { DTYPES, InprocError, Tensor, configureOnnxWeb, listBackends, loadModel, onnxWebAutoDevices, resources, type LoadOptions, type Model } from 'inproc';
import { conformanceChecks, type ConformanceContext, type ConformanceFixtures } from '../../conformance/suite.js';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

const FIXTURE_NAMES = ['mlp', 'multiIo', 'identity', 'fixed', 'failing', 'slow'] as const;

let fixtures: Promise<ConformanceFixtures> | undefined;
function loadFixtures(): Promise<ConformanceFixtures> {
  fixtures ??= (async () => {
    const entries = await Promise.all(FIXTURE_NAMES.map(async (name) => [name, new Uint8Array(await (await fetch(`/fixtures/${name}.onnx`)).arrayBuffer())] as const));
    return Object.fromEntries(entries) as unknown as ConformanceFixtures;
  })();
  return fixtures;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert(InprocError.is(error), `expected an InprocError, got ${String(error)}`);
    return error.code;
  }
  return 'resolved';
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function mlpInput(batch: number, seed: number): Tensor<'float32'> {
  return new Tensor('float32', new Float32Array(batch * 256).map((_, i) => Math.sin(i * 0.37 + seed) * 2), [batch, 256]);
}

const zero = JSON.stringify({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
function assertNoResources(what: string): void {
  assert(JSON.stringify(resources()) === zero, `${what}: resources() ${JSON.stringify(resources())}`);
}

exposeToHarness({
  environment: async () => ({
    backends: listBackends().map((b) => `${b.name}:${b.priority}`),
    autoDevices: await onnxWebAutoDevices(),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hasGpu: 'gpu' in navigator,
  }),

  checkNames: () => conformanceChecks.map((c) => c.name),

  /** Runs one conformance check on a device. */
  check: async (device: string, name: string, dtypes: readonly string[] = DTYPES) => {
    const check = conformanceChecks.find((c) => c.name === name);
    assert(check !== undefined, `no check "${name}"`);
    const ctx: ConformanceContext = {
      loadModel,
      Tensor,
      resources,
      backend: 'onnx-web',
      device,
      devices: ['webgpu', 'wasm'],
      fixtures: await loadFixtures(),
      mlpReference: (x, batch) => mlpReference(x, batch, 256),
      dtypes: dtypes as typeof DTYPES,
    };
    await check.run(ctx);
    return resources();
  },

  resourcesNow: () => resources(),

  /** The MLP on `device` for the given input, from its URL; returns y and the device used. */
  runMlp: async (device: string, data: number[], batch: number) => {
    await using model = await loadModel(new URL('/fixtures/mlp.onnx', location.href), { backend: 'onnx-web', device });
    const { y } = await model.run({ x: new Tensor('float32', Float32Array.from(data), [batch, 256]) });
    return { device: model.device, y: Array.from(y!.data as Float32Array) };
  },

  /** Silero VAD v5: `frames` chunks of 512 samples through the model, the state carried over. */
  runVad: async (device: string, samples: number[], frames: number) => {
    await using model = await loadModel('/models/silero_vad_v5.onnx', { backend: 'onnx-web', device });
    let state: Tensor = new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
    const sr = new Tensor('int64', [16000n], []);
    const probabilities: number[] = [];
    for (let f = 0; f < frames; f++) {
      const input = new Tensor('float32', Float32Array.from(samples.slice(f * 512, (f + 1) * 512)), [1, 512]);
      const out = await model.run({ input, state, sr });
      probabilities.push((out['output']!.data as Float32Array)[0]!);
      state = out['stateN']!;
    }
    return { device: model.device, probabilities, state: Array.from(state.data as Float32Array) };
  },

  /** Per-run latency on a device (ms): for the report, never asserted. */
  latency: async (device: string, which: 'mlp' | 'vad', runs: number) => {
    const url = which === 'mlp' ? '/fixtures/mlp.onnx' : '/models/silero_vad_v5.onnx';
    await using model = await loadModel(url, { backend: 'onnx-web', device });
    const feeds =
      which === 'mlp'
        ? { x: mlpInput(1, 0) }
        : { input: new Tensor('float32', new Float32Array(512).map((_, i) => Math.sin(i / 10) * 0.3), [1, 512]), state: new Tensor('float32', new Float32Array(256), [2, 1, 128]), sr: new Tensor('int64', [16000n], []) };
    const first0 = performance.now();
    await model.run(feeds);
    const first = performance.now() - first0;
    // Timed as a whole and divided: without cross-origin isolation performance.now() is coarse (0.1 ms).
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await model.run(feeds);
    return { device: model.device, firstMs: first, meanMs: (performance.now() - t0) / runs, runs };
  },

  /** WebGPU outputs kept on the GPU: owned by the tensor, counted, downloadable, chainable, freed by dispose. */
  gpuOutputs: async () => {
    assertNoResources('before');
    const model = await loadModel('/fixtures/mlp.onnx', { backend: 'onnx-web', device: 'webgpu', backendOptions: { preferredOutputLocation: 'gpu-buffer' } });
    const facts: Record<string, unknown> = { device: model.device };
    const loaded = resources();
    const x = mlpInput(2, 1);
    const { y } = await model.run({ x });
    assert(y !== undefined && y.location === 'gpu-buffer', `y.location ${y?.location}`);
    const counted = resources();
    facts['tensorsAfterRun'] = counted.tensors;
    facts['tensorBytes'] = counted.bytes - loaded.bytes;
    facts['dataCode'] = await codeOf((async () => y.data)());
    const data = await y.getData();
    const expected = mlpReference(x.data, 2, 256);
    facts['downloadDiff'] = maxDiff(data as Float32Array, expected);
    assert(y.data === data, 'data readable after getData()');
    // Fed back while on the GPU: y -> MLP again, compared with the reference applied twice.
    const { y: y2 } = await model.run({ x: y });
    facts['chainedLocation'] = y2!.location;
    facts['chainedDiff'] = maxDiff((await y2!.getData()) as Float32Array, mlpReference(expected, 2, 256));
    facts['liveBeforeDispose'] = resources().tensors;
    y.dispose();
    y.dispose();
    facts['liveAfterOneDispose'] = resources().tensors;
    facts['disposedInputCode'] = await codeOf(model.run({ x: y }));
    // y2 is left alive: Model.dispose() must release it.
    await model.dispose();
    facts['y2DisposedByModel'] = y2!.disposed;
    facts['afterModelDispose'] = resources();
    facts['getDataAfterDispose'] = await codeOf(y2!.getData());
    return facts;
  },

  /**
   * A call aborted after the backend accepted it must not leave GPU outputs behind.
   * With concurrency 2, core hands calls A and B to the backend at once (synchronously,
   * inside run()); B waits for its turn inside onnx-web. Aborting B then is
   * deterministic: core rejects it at once, and onnx-web must neither run it nor leave
   * outputs of it behind.
   */
  abortGpuRun: async () => {
    const model = await loadModel('/fixtures/mlp.onnx', { backend: 'onnx-web', device: 'webgpu', concurrency: 2, backendOptions: { preferredOutputLocation: 'gpu-buffer' } });
    try {
      const x = mlpInput(1, 2);
      const controller = new AbortController();
      const a = model.run({ x });
      const b = model.run({ x }, { signal: controller.signal });
      const inBackend = model.pending.running;
      controller.abort();
      const code = await codeOf(b);
      const c = await model.run({ x }); // onnx-web takes turns first come, first served: B's run finished before C's
      const live = resources().tensors;
      (await a)['y']!.dispose();
      c['y']!.dispose();
      return { inBackend, code, liveAfterC: live, tensors: resources().tensors };
    } finally {
      await model.dispose();
    }
  },

  /** Two models on one device, each called concurrently (concurrency raised above 1): onnx-web takes turns, and every answer is right. */
  sideBySide: async (device: string) => {
    const options: LoadOptions = { backend: 'onnx-web', device, concurrency: 4 };
    const [a, b] = await Promise.all([loadModel('/fixtures/mlp.onnx', options), loadModel('/fixtures/mlp.onnx', options)]);
    try {
      const inputs = Array.from({ length: 10 }, (_, i) => mlpInput(1, i));
      const outs = await Promise.all(inputs.flatMap((x) => [a.run({ x }), b.run({ x })]));
      let worst = 0;
      outs.forEach((out, k) => {
        worst = Math.max(worst, maxDiff(out['y']!.data as Float32Array, mlpReference(inputs[Math.floor(k / 2)]!.data, 1, 256)));
      });
      return { devices: [a.device, b.device], calls: outs.length, worst };
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  },

  /** Loading from URLs: streamed progress, abort, 404, network error, a response that is not a model. */
  urlLoading: async (closedPort: number) => {
    const progress: { loaded: number; total?: number }[] = [];
    const model = await loadModel(new URL('/chunked/mlp.onnx', location.href), { backend: 'onnx-web', device: 'wasm', onProgress: (p) => progress.push({ ...p }) });
    const source = model.source;
    await model.dispose();
    const controller = new AbortController();
    let sawFirstChunk!: () => void;
    const firstChunk = new Promise<void>((r) => (sawFirstChunk = r));
    // codeOf() at once: the rejection is handled when it comes.
    const aborted = codeOf(
      loadModel('/stalling/mlp.onnx', {
        backend: 'onnx-web',
        signal: controller.signal,
        onProgress: () => sawFirstChunk(),
      }),
    );
    await firstChunk;
    controller.abort();
    const preAborted = new AbortController();
    preAborted.abort();
    let notFound: unknown;
    try {
      await loadModel('/fixtures/no-such-model.onnx', { backend: 'onnx-web' });
    } catch (error) {
      notFound = error;
    }
    return {
      source,
      progress,
      abortedCode: await aborted,
      preAbortedCode: await codeOf(loadModel('/fixtures/mlp.onnx', { backend: 'onnx-web', signal: preAborted.signal })),
      notFoundCode: (notFound as InprocError).code,
      notFoundStatus: (notFound as InprocError).details?.['status'],
      // A port the test found free and closed again: the connection is refused.
      networkCode: await codeOf(loadModel(`http://localhost:${closedPort}/model.onnx`, { backend: 'onnx-web' })),
      htmlCode: await codeOf(loadModel('/not-a-model.onnx', { backend: 'onnx-web' })),
      htmlAsOnnxCode: await codeOf(loadModel('/not-a-model.onnx', { backend: 'onnx-web', format: 'onnx' })),
      resources: resources(),
    };
  },

  /** What an explicit device does when it is missing here, and where auto lands. */
  deviceChoices: async () => {
    const bytes = (await loadFixtures()).mlp;
    const out: Record<string, unknown> = { autoDevices: await onnxWebAutoDevices() };
    for (const device of ['webgpu', 'webnn']) {
      try {
        const m = await loadModel(bytes, { backend: 'onnx-web', device });
        out[device] = `loaded on ${m.device}`;
        await m.dispose();
      } catch (error) {
        out[device] = InprocError.is(error) ? `${error.code}: ${error.message}` : String(error);
      }
    }
    await using auto = await loadModel(bytes, { backend: 'onnx-web' });
    out['auto'] = auto.device;
    const { y } = await auto.run(mlpInput(1, 3));
    out['autoDiff'] = maxDiff(y!.data as Float32Array, mlpReference(mlpInput(1, 3).data, 1, 256));
    // A GPU output location under auto on a page without WebGPU: CPU outputs, not an error.
    await using fallback = await loadModel(bytes, { backend: 'onnx-web', backendOptions: { preferredOutputLocation: 'gpu-buffer' } });
    out['fallbackLocation'] = (await fallback.run(mlpInput(1, 0)))['y']!.location;
    return out;
  },

  /** With the proxy worker on, devices other than wasm are refused and auto means wasm. */
  proxyDevices: async () => ({ autoDevices: await onnxWebAutoDevices(), webgpu: await codeOf(loadModel('/fixtures/mlp.onnx', { backend: 'onnx-web', device: 'webgpu' })) }),

  /** Runtime options applied before the first load of this page. */
  withRuntimeOptions: async (options: Record<string, unknown>) => {
    configureOnnxWeb(options);
    const bytes = (await loadFixtures()).mlp;
    try {
      const model = await loadModel(bytes, { backend: 'onnx-web', device: 'wasm' });
      const x = mlpInput(1, 5);
      const { y } = await model.run({ x });
      await model.dispose();
      // x is read after the run: it must still hold its data (the proxy worker must not have taken it).
      return { ok: true, device: model.device, diff: maxDiff(y!.data as Float32Array, mlpReference(x.data, 1, 256)), inputLength: x.data.length, resources: resources() };
    } catch (error) {
      return { ok: false, code: (error as InprocError).code, message: (error as Error).message, resources: resources() };
    }
  },
});

export type { Model };
