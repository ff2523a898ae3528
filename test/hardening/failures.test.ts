/**
 * One bad call never wedges a model: a failed call releases everything it held in every
 * mode (in process, batching, cache, worker); batched callers get independent outputs and
 * a bad member of a batch fails alone; options are checked with coded errors.
 */
import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, loadModel, resources } from 'inproc';
import { code } from '../helpers/errors.js';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

const SIZE = 8;
const input = (rows = 1, fill = 0.5): Tensor<'float32'> => new Tensor('float32', new Float32Array(rows * SIZE).fill(fill), [rows, SIZE]);
const detach = (buffer: ArrayBufferLike): void => void structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
/** Settles or says it hung: a wedged model never settles. */
const settles = <T>(promise: Promise<T>, ms = 20_000): Promise<T | 'hung'> => Promise.race([promise, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref())]);

describe("isolation: 'worker' after a call that cannot be posted", () => {
  it('fails that call with a code, then serves and disposes', async () => {
    const before = resources();
    const model = await loadModel(mlpModel(SIZE), { isolation: 'worker', workers: 1 });
    const t = input(2);
    detach(t.data.buffer);
    expect(await code(model.run({ x: t }))).toBe('INPUT_INVALID');
    // A throwing getter on a feed, too.
    expect(await code(model.run({
      get x(): Tensor {
        throw new Error('no');
      },
    }))).toBe('INPUT_INVALID');
    const out = await settles(model.run({ x: input(2) }));
    expect(out).not.toBe('hung');
    expect(await settles(model.dispose())).not.toBe('hung');
    expect(resources()).toEqual(before);
  });

  it('checks workerResourceLimits before starting a worker', async () => {
    const bad: unknown[] = [{ stackSizeMb: 0.01 }, { stackSizeMb: -1 }, { maxOldGenerationSizeMb: 'lots' }, { maxYoungGenerationSizeMb: Number.NaN }, { codeRangeSizeMb: 2 ** 40 }, { nonsense: 1 }, 'big', null];
    for (const workerResourceLimits of bad) {
      const error = await loadModel(mlpModel(SIZE), { isolation: 'worker', workerResourceLimits: workerResourceLimits as never }).catch((e: unknown) => e);
      expect(error, JSON.stringify(workerResourceLimits)).toBeInstanceOf(InprocError);
      expect((error as InprocError).code).toBe('INPUT_INVALID');
    }
    await using ok = await loadModel(mlpModel(SIZE), { isolation: 'worker', workerResourceLimits: { stackSizeMb: 4, maxOldGenerationSizeMb: 256 } });
    expect((await ok.run({ x: input() }))['y']!.shape).toEqual([1, SIZE]);
  });
});

describe('dynamic batching', () => {
  const batching = { maxBatchSize: 16, maxDelayMs: 5 };

  it('gives every caller its own output buffer', async () => {
    await using model = await loadModel(mlpModel(SIZE), { batching });
    const xs = [0.1, 0.2, 0.3, 0.4].map((v) => input(1, v));
    const outs = await Promise.all(xs.map((x) => model.run({ x })));
    expect(model.stats().batchSize.max).toBeGreaterThan(1); // they really shared a run
    const buffers = outs.map((o) => (o['y']!.data as Float32Array).buffer);
    expect(new Set(buffers).size).toBe(outs.length);
    for (const buffer of buffers) expect(buffer.byteLength).toBe(SIZE * 4); // no caller can see another's rows
    // Transferring one caller's output leaves the others intact.
    detach((outs[0]!['y']!.data as Float32Array).buffer);
    outs.slice(1).forEach((o, i) => {
      const want = mlpReference(xs[i + 1]!.data, 1, SIZE);
      (o['y']!.data as Float32Array).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 4));
    });
  });

  it('fails a bad member alone: the rest of its batch gets answers', async () => {
    await using model = await loadModel(mlpModel(SIZE), { batching });
    const good = [0.1, 0.2, 0.3].map((v) => input(1, v));
    const bad = input(1, 0.9);
    const calls = [model.run({ x: good[0]! }), model.run({ x: bad }), model.run({ x: good[1]! }), model.run({ x: good[2]! })];
    detach(bad.data.buffer); // after the call was accepted, before the batch is put together
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as InprocError).code).toBe('INPUT_INVALID');
    [0, 2, 3].forEach((slot, i) => {
      const want = mlpReference(good[i]!.data, 1, SIZE);
      const got = (results[slot] as PromiseFulfilledResult<Record<string, Tensor>>).value['y']!.data as Float32Array;
      got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 4));
    });
  });
});

describe('response cache after bad calls', () => {
  it('a detached input is INPUT_INVALID, not a TypeError, and the cache keeps working', async () => {
    await using model = await loadModel(mlpModel(SIZE), { cache: { maxBytes: 1 << 20 } });
    const t = input();
    detach(t.data.buffer);
    expect(await code(model.run({ x: t }))).toBe('INPUT_INVALID');
    await model.run({ x: input(1, 0.3) });
    await model.run({ x: input(1, 0.3) });
    expect(model.stats().cache?.hits).toBe(1);
  });
});

describe('storms', () => {
  it.each([
    ['in process', {}],
    ['batching', { batching: { maxBatchSize: 8, maxDelayMs: 1 } }],
    ['cache', { cache: { maxBytes: 1 << 16 } }],
    ['worker', { isolation: 'worker' as const, workers: 2 }],
  ])('%s: 300 calls with aborts, timeouts and bad feeds, then dispose in the middle: every call settles with an answer or a code', async (_mode, options) => {
    const before = resources();
    const model = await loadModel(mlpModel(SIZE), { ...options, maxQueue: 1000 });
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const controller = new AbortController();
      const x = i % 7 === 3 ? input(1, 0.1) : input(1 + (i % 3), i / 300);
      if (i % 7 === 3) detach(x.data.buffer);
      const run = model.run({ x }, { signal: controller.signal, ...(i % 11 === 0 ? { timeoutMs: 0 } : {}), priority: i % 4 });
      if (i % 5 === 0) controller.abort();
      else if (i % 5 === 1) setTimeout(() => controller.abort(), 0);
      calls.push(run);
      if (i === 200) calls.push(model.dispose());
    }
    const settled = await settles(Promise.allSettled(calls), 60_000);
    expect(settled).not.toBe('hung');
    for (const result of settled as PromiseSettledResult<unknown>[]) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(InprocError);
        expect(['ABORTED', 'TIMEOUT', 'INPUT_INVALID', 'DISPOSED']).toContain((result.reason as InprocError).code);
      }
    }
    expect((settled as PromiseSettledResult<unknown>[]).filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    expect(model.disposed).toBe(true);
    expect(await code(model.run({ x: input() }))).toBe('DISPOSED');
    expect(resources()).toEqual(before);
  });
});
