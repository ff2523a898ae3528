import { describe, expect, it } from 'vitest';
import { type InprocError, Tensor, loadModel, registerBackend, resources, unregisterBackend, type DeviceStorage, type Outputs } from 'inproc';
import { type BackendSession } from 'inproc/backend';
import { mlpModel, mlpReference, rowSumModel, slowModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';

function rows(batch: number, n: number, seed: number): Tensor<'float32'> {
  return new Tensor('float32', Float32Array.from({ length: batch * n }, (_, i) => Math.sin(seed * 13.7 + i)), [batch, n]);
}


describe('dynamic batching (onnxruntime-node)', () => {
  it('gives 200 concurrent mixed-size callers the same answers as unbatched runs, in fewer runs', async () => {
    await using batched = await loadModel(mlpModel(64), { batching: { maxBatchSize: 32, maxDelayMs: 5 } });
    const callers = Array.from({ length: 200 }, (_, i) => rows(1 + (i % 4), 64, i));
    const outputs = await Promise.all(callers.map((x) => batched.run({ x })));
    outputs.forEach((out, i) => {
      const x = callers[i]!;
      expect(out['y']!.shape).toEqual([x.shape[0], 64]);
      const want = mlpReference(x.data, x.shape[0]!, 64);
      const got = out['y']!.data as Float32Array;
      let diff = 0;
      for (let k = 0; k < want.length; k++) diff = Math.max(diff, Math.abs(want[k]! - got[k]!));
      expect(diff).toBeLessThan(1e-4);
    });
    const stats = batched.stats();
    expect(stats.requests).toBe(200);
    expect(stats.successes).toBe(200);
    expect(stats.batches).toBeLessThan(200);
    expect(stats.batchSize.max).toBeGreaterThan(1);
  });

  it('never merges requests whose shapes after dimension 0 differ', async () => {
    await using model = await loadModel(rowSumModel(), { batching: { maxBatchSize: 64, maxDelayMs: 5 } });
    const inputs = Array.from({ length: 40 }, (_, i) => rows(1 + (i % 3), 2 + (i % 5), i));
    const outputs = await Promise.all(inputs.map((x) => model.run({ x })));
    outputs.forEach((out, i) => {
      const x = inputs[i]!;
      const [b, n] = x.shape as [number, number];
      expect(out['y']!.shape).toEqual([b, 1]);
      expect(out['z']!.shape).toEqual([b, n]);
      for (let r = 0; r < b; r++) {
        let sum = 0;
        for (let c = 0; c < n; c++) sum += x.data[r * n + c]!;
        expect((out['y']!.data as Float32Array)[r]).toBeCloseTo(sum, 4);
      }
      const z = out['z']!.data as Float32Array;
      x.data.forEach((v, k) => expect(z[k]).toBeCloseTo(v * 3, 5));
    });
    // 5 distinct inner sizes: at least 5 runs, far fewer than 40.
    expect(model.stats().batches).toBeGreaterThanOrEqual(5);
    expect(model.stats().batches).toBeLessThan(40);
  });

  it('honours outputs per request: different output selections are not merged', async () => {
    await using model = await loadModel(rowSumModel(), { batching: { maxBatchSize: 16, maxDelayMs: 5 } });
    const [a, b] = await Promise.all([model.run({ x: rows(2, 3, 1) }, { outputs: ['y'] }), model.run({ x: rows(2, 3, 2) })]);
    expect(Object.keys(a)).toEqual(['y']);
    expect(Object.keys(b).sort()).toEqual(['y', 'z']);
  });

  it('fills preferred sizes first and runs a full batch without waiting', async () => {
    await using model = await loadModel(rowSumModel(), { batching: { maxBatchSize: 8, maxDelayMs: 60_000, preferredSizes: [4, 8] } });
    // maxDelayMs is a minute: these can only finish because 4 and 8 rows dispatch at once.
    const four = await Promise.all(Array.from({ length: 4 }, (_, i) => model.run({ x: rows(1, 3, i) })));
    expect(four).toHaveLength(4);
    const eight = await Promise.all(Array.from({ length: 8 }, (_, i) => model.run({ x: rows(1, 3, i) })));
    expect(eight).toHaveLength(8);
    // Calls made in one tick are gathered before dispatch: four rows are a preferred size, eight a full batch.
    expect(model.stats().batches).toBe(2);
    expect(model.stats().batchSize.max).toBe(8);
  });

  it('rejects batching for models without a shared leading batch dimension', async () => {
    const before = resources();
    expect(await code(loadModel(slowModel({ depth: 1 }), { batching: { maxBatchSize: 4, maxDelayMs: 1 } }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(mlpModel(8), { batching: { maxBatchSize: 0, maxDelayMs: 1 } }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(mlpModel(8), { batching: { maxBatchSize: 4, maxDelayMs: -1 } }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(mlpModel(8), { batching: { maxBatchSize: 4, maxDelayMs: 1, preferredSizes: [8] } }))).toBe('INPUT_INVALID');
    expect(resources()).toEqual(before);
  });
});

/**
 * Scheduling semantics with a backend whose runs finish when the test says so (a
 * plugin written against the public Backend interface), so that "inside a batch" is a
 * state the test controls rather than a race with a native run.
 */
describe('dynamic batching of tensors in device memory', () => {
  // A backend over a real onnxruntime-node session that, like onnx-web on WebGPU, takes
  // and returns tensors whose elements live in device memory (Tensor.fromDevice).
  const storage = (data: Float32Array, released: { count: number }): DeviceStorage => ({
    location: 'gpu-buffer',
    bytes: data.byteLength,
    download: async () => data.slice(),
    release: () => void released.count++,
  });

  it('concatenates device feeds and splits device outputs, releasing the batch output', async () => {
    const before = resources();
    await using inner = await loadModel(mlpModel(8));
    const released = { count: 0 };
    let runs = 0;
    const session: BackendSession = {
      signature: inner.signature,
      device: 'gpu',
      bytes: 0,
      concurrency: 1,
      metadata: {},
      run: async (feeds) => {
        runs++;
        const out = await inner.run({ x: new Tensor('float32', (await feeds['x']!.getData()) as Float32Array, feeds['x']!.shape) });
        const y = out['y']!;
        return { y: Tensor.fromDevice('float32', y.shape, storage(y.data as Float32Array, released)) };
      },
      dispose: async () => {},
    };
    registerBackend({ name: 'device-memory', priority: -1, formats: ['onnx'], devices: ['gpu'], isAvailable: () => true, load: async () => session });
    try {
      await using model = await loadModel(mlpModel(8), { backend: 'device-memory', batching: { maxBatchSize: 6, maxDelayMs: 10_000 } });
      const inputs = [1, 2, 3].map((n, i) => rows(n, 8, i));
      const feeds = inputs.map((x) => Tensor.fromDevice('float32', x.shape, storage(x.data, { count: 0 })));
      const outputs = await Promise.all(feeds.map((x) => model.run({ x })));
      expect(runs).toBe(1); // 1 + 2 + 3 rows fill maxBatchSize: one batch, no waiting
      expect(released.count).toBe(1); // the batch output was read and released
      outputs.forEach((out, i) => {
        const x = inputs[i]!;
        const want = mlpReference(x.data, x.shape[0]!, 8);
        const got = out['y']!.data as Float32Array;
        expect(out['y']!.location).toBe('cpu');
        expect(got.length).toBe(want.length);
        for (let k = 0; k < want.length; k++) expect(Math.abs(want[k]! - got[k]!)).toBeLessThan(1e-4);
      });
      for (const x of feeds) x.dispose();
    } finally {
      unregisterBackend('device-memory');
    }
    await inner.dispose();
    expect(resources()).toEqual(before);
  });
});

describe('batch semantics under control', () => {
  interface Pending {
    rows: number;
    finish(fail?: Error): void;
  }
  const pending: Pending[] = [];
  const session: BackendSession = {
    signature: { inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 2] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }] },
    device: 'cpu',
    bytes: 0,
    concurrency: 1,
    metadata: {},
    run: (feeds) =>
      new Promise<Outputs>((resolve, reject) => {
        const x = feeds['x']!;
        pending.push({
          rows: x.shape[0]!,
          finish: (fail) => (fail ? reject(fail) : resolve({ y: new Tensor('float32', (x.data as Float32Array).map((v) => v * 10), x.shape) })),
        });
      }),
    dispose: async () => {},
  };
  registerBackend({ name: 'manual', priority: -1, formats: ['onnx'], devices: ['cpu'], isAvailable: () => true, load: async () => session });
  const open = (maxQueue?: number) => loadModel(mlpModel(2), { backend: 'manual', batching: { maxBatchSize: 8, maxDelayMs: 0 }, ...(maxQueue === undefined ? {} : { maxQueue }) });
  const x = (v: number): Tensor => new Tensor('float32', [v, v], [1, 2]);
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

  it('an aborted request inside a batch rejects alone; the others get their rows', async () => {
    await using model = await open();
    const blocker = model.run({ x: x(0) });
    await tick();
    expect(pending).toHaveLength(1);
    const controller = new AbortController();
    const a = model.run({ x: x(1) });
    const b = model.run({ x: x(2) }, { signal: controller.signal });
    const c = model.run({ x: x(3) });
    pending.shift()!.finish();
    await blocker;
    await tick();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.rows).toBe(3); // a, b and c went in one batch
    controller.abort();
    expect(await code(b)).toBe('ABORTED');
    pending.shift()!.finish();
    expect([...((await a)['y']!.data as Float32Array)]).toEqual([10, 10]);
    expect([...((await c)['y']!.data as Float32Array)]).toEqual([30, 30]);
  });

  it('a failed batch fails every request in it with the same cause', async () => {
    await using model = await open();
    const blocker = model.run({ x: x(0) });
    await tick();
    const batch = [model.run({ x: x(1) }), model.run({ x: x(2) })];
    pending.shift()!.finish();
    await blocker;
    await tick();
    const cause = new Error('device lost');
    pending.shift()!.finish(cause);
    const errors = await Promise.all(batch.map((p) => p.then(() => undefined, (e: unknown) => e as InprocError)));
    for (const e of errors) {
      expect(e?.code).toBe('RUN_FAILED');
      expect(e?.cause).toBe(cause);
    }
    expect(model.stats().failures).toEqual({ RUN_FAILED: 2 });
  });

  it('aborts and times out requests while they wait, and applies maxQueue with batching', async () => {
    await using model = await open(2);
    const blocker = model.run({ x: x(0) });
    await tick();
    const controller = new AbortController();
    const waiting = model.run({ x: x(1) }, { signal: controller.signal });
    const late = model.run({ x: x(2) }, { timeoutMs: 1 });
    expect(await code(model.run({ x: x(3) }))).toBe('QUEUE_FULL');
    controller.abort();
    expect(await code(waiting)).toBe('ABORTED');
    expect(await code(late)).toBe('TIMEOUT');
    expect(model.pending).toEqual({ queued: 0, running: 1 });
    pending.shift()!.finish();
    await blocker;
    expect(pending).toHaveLength(0); // neither waiting request ever reached the backend
  });
});
