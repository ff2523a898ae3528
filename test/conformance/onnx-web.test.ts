/**
 * The conformance suite against onnx-web in Node (pure WASM), plus what is particular
 * to onnx-web in Node: its place below onnx-node under `backend: 'auto'`, devices that
 * need a browser, and its runtime options. The same suite runs in Chromium on wasm and
 * webgpu in test/browser/onnx-web.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DTYPES, InprocError, Tensor, configureOnnxWeb, loadModel, onnxWebRuntimeOptions, resources } from 'inproc';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';
import { onnxFixtures } from './fixtures.js';
import { conformanceChecks, type ConformanceContext } from './suite.js';
import { code } from '../helpers/errors.js';

const fixtures = onnxFixtures();

for (const device of ['wasm', 'auto']) {
  describe(`conformance: onnx-web in Node (${device})`, () => {
    const ctx: ConformanceContext = {
      loadModel,
      Tensor,
      resources,
      backend: 'onnx-web',
      device,
      devices: ['wasm'],
      fixtures,
      mlpReference: (x, batch) => mlpReference(x, batch, 256),
      dtypes: DTYPES,
    };
    for (const check of conformanceChecks) it(check.name, () => check.run(ctx));
  });
}

describe('onnx-web in Node', () => {
  it('ranks below onnx-node under backend auto', async () => {
    await using model = await loadModel(mlpModel(16));
    expect(model.backend).toBe('onnx-node');
    await using web = await loadModel(mlpModel(16), { backend: 'onnx-web' });
    expect(web.backend).toBe('onnx-web');
    expect(web.device).toBe('wasm');
  });

  it('refuses webgpu and webnn in Node with DEVICE_UNAVAILABLE, saying why', async () => {
    for (const device of ['webgpu', 'webnn']) {
      const error = await loadModel(mlpModel(16), { backend: 'onnx-web', device }).catch((e: unknown) => e);
      expect(InprocError.is(error, 'DEVICE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(/needs a browser/);
    }
    expect(resources()).toEqual({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
  });

  it('rejects bad runtime options and output locations with INPUT_INVALID', async () => {
    const bytes = mlpModel(16);
    const bad: Record<string, unknown>[] = [
      { numThreads: -1 },
      { numThreads: 1.5 },
      { numThreads: '2' },
      { simd: 'yes' },
      { proxy: 1 },
      { wasmPaths: '/no-trailing-slash' },
      { wasmPaths: { wasm: 42 } },
      { wasmPaths: { other: '/x/' } },
      { wasmPaths: {} },
      { wasmPaths: 7 },
      { preferredOutputLocation: 'disk' },
      { preferredOutputLocation: { y: 'nowhere' } },
      { preferredOutputLocation: 'gpu-buffer' }, // a GPU location on device wasm
    ];
    for (const backendOptions of bad) {
      expect(await code(loadModel(bytes, { backend: 'onnx-web', device: 'wasm', backendOptions })), JSON.stringify(backendOptions)).toBe('INPUT_INVALID');
    }
    for (const options of [null, [], { numThreads: -3 }, { wasmPaths: 'relative' }]) {
      expect(() => configureOnnxWeb(options as never)).toThrow(InprocError);
    }
    expect(resources()).toEqual({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
  });

  it('applies runtime options once and refuses different ones afterwards', async () => {
    // The runtime already started in this process (earlier tests loaded models) with the defaults.
    expect(onnxWebRuntimeOptions()).toEqual({});
    expect(() => configureOnnxWeb({ numThreads: 3 })).toThrow(/already started/);
    expect(await code(loadModel(mlpModel(16), { backend: 'onnx-web', backendOptions: { proxy: true } }))).toBe('INPUT_INVALID');
    // Session options (not runtime options) are per model and fine.
    await using model = await loadModel(mlpModel(16), { backend: 'onnx-web', backendOptions: { graphOptimizationLevel: 'disabled' } });
    const { y } = await model.run(new Tensor('float32', new Float32Array(16).fill(1), [1, 16]));
    expect(y!.data).toHaveLength(16);
  });

  it('keeps runs of one model serial and two models side by side correct', async () => {
    await using a = await loadModel(mlpModel(256), { backend: 'onnx-web', concurrency: 4 });
    await using b = await loadModel(mlpModel(256), { backend: 'onnx-web', concurrency: 4 });
    const inputs = Array.from({ length: 8 }, (_, i) => new Tensor('float32', new Float32Array(256).map((_, j) => Math.sin(i + j)), [1, 256]));
    const outs = await Promise.all(inputs.flatMap((x) => [a.run({ x }), b.run({ x })]));
    outs.forEach((out, k) => {
      const expected = mlpReference(inputs[Math.floor(k / 2)]!.data, 1, 256);
      const got = out['y']!.data as Float32Array;
      expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(1e-3);
    });
  });
});

describe('Tensor.fromDevice (the core hook onnx-web uses for GPU outputs)', () => {
  function fake(values: number[]) {
    const calls = { download: 0, release: 0 };
    const storage = {
      location: 'gpu-buffer' as const,
      bytes: values.length * 4,
      download: async () => {
        calls.download++;
        return new Float32Array(values);
      },
      release: () => {
        calls.release++;
      },
    };
    return { storage, calls };
  }

  it('keeps data on the device until getData(), downloads once, releases once', async () => {
    const { storage, calls } = fake([1, 2, 3, 4]);
    const t = Tensor.fromDevice('float32', [2, 2], storage);
    expect(t.location).toBe('gpu-buffer');
    expect(t.byteLength).toBe(16);
    expect(String(t)).toBe('Tensor<float32>[2, 2]@gpu-buffer');
    expect(() => t.data).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    const [d1, d2] = await Promise.all([t.getData(), t.getData()]);
    expect([...d1]).toEqual([1, 2, 3, 4]);
    expect(d2).toBe(d1);
    expect(t.data).toBe(d1);
    expect(calls.download).toBe(1);
    t.dispose();
    t.dispose();
    expect(calls.release).toBe(1);
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    await expect(t.getData()).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('rejects a download of the wrong type or size, and bad storage', async () => {
    const wrongType = Tensor.fromDevice('float32', [2], { location: 'gpu-buffer', bytes: 8, download: async () => new Int32Array(2), release: () => undefined });
    await expect(wrongType.getData()).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const wrongSize = Tensor.fromDevice('float32', [3], { location: 'gpu-buffer', bytes: 12, download: async () => new Float32Array(2), release: () => undefined });
    await expect(wrongSize.getData()).rejects.toMatchObject({ code: 'RUN_FAILED' });
    expect(() => Tensor.fromDevice('float32', [1], {} as never)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => Tensor.fromDevice('float32', [-1], fake([1]).storage)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  it('leaves plain tensors as they were: location cpu, getData() resolves data', async () => {
    const t = new Tensor('int32', [1, 2], [2]);
    expect(t.location).toBe('cpu');
    expect(await t.getData()).toBe(t.data);
  });
});
