import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, liveResources, loadModel, resources, type Feeds, type Outputs, type Processor } from 'inproc';
import { mlpModel, mlpReference, multiIoModel, slowModel } from '@inproc/testkit/onnx/models';
import { code, failure } from '../helpers/errors.js';

const slow = slowModel({ depth: 60 });
const zero = (): Tensor => new Tensor('float32', new Float32Array(512), [1, 512]);
const baseline = { models: 0, sessions: 0, tensors: 0, bytes: 0 };


describe('Model run queue', () => {
  it('runs queued calls by priority, FIFO within a priority', async () => {
    await using model = await loadModel(slow);
    const order: string[] = [];
    const call = (label: string, priority?: number): Promise<void> =>
      model.run(zero(), priority === undefined ? {} : { priority }).then(() => void order.push(label));
    const first = call('first');
    expect(model.pending).toEqual({ queued: 0, running: 1 });
    const rest = [call('p0'), call('p5a', 5), call('p1', 1), call('p5b', 5), call('p-1', -1)];
    expect(model.pending).toEqual({ queued: 5, running: 1 });
    await Promise.all([first, ...rest]);
    expect(order).toEqual(['first', 'p5a', 'p5b', 'p1', 'p0', 'p-1']);
    expect(model.pending).toEqual({ queued: 0, running: 0 });
  });

  it('rejects with QUEUE_FULL at once when maxQueue calls are waiting', async () => {
    await using model = await loadModel(slow, { maxQueue: 2 });
    const accepted = [model.run(zero()), model.run(zero()), model.run(zero())]; // 1 running + 2 queued
    expect(await code(model.run(zero()))).toBe('QUEUE_FULL');
    await Promise.all(accepted);
    await expect(model.run(zero())).resolves.toHaveProperty('y');
  });

  it('removes a timed-out or aborted call from the queue without running it', async () => {
    await using model = await loadModel(slow);
    const first = model.run(zero());
    const controller = new AbortController();
    const timedOut = model.run(zero(), { timeoutMs: 1 });
    const aborted = model.run(zero(), { signal: controller.signal });
    expect(model.pending.queued).toBe(2);
    controller.abort(new Error('user gave up'));
    const abortError = await aborted.catch((e: unknown) => e as InprocError);
    expect(abortError.code).toBe('ABORTED');
    expect((abortError.cause as Error).message).toBe('user gave up');
    expect(await code(timedOut)).toBe('TIMEOUT');
    expect(model.pending).toEqual({ queued: 0, running: 1 }); // neither reached the session
    await first;
  });

  it('times out a call whose run outlasts the deadline, and keeps the model usable', async () => {
    const model = await loadModel(slow);
    // onnxruntime-node runs synchronously, so the timer cannot fire during the run: the
    // deadline is checked when the result arrives, and a late result is not delivered.
    expect(await code(model.run(zero(), { timeoutMs: 1 }))).toBe('TIMEOUT');
    await expect(model.run(zero(), { timeoutMs: 60_000 })).resolves.toHaveProperty('y');
    await model.dispose();
    expect(model.pending).toEqual({ queued: 0, running: 0 });
    expect(resources()).toEqual(baseline);
  });

  it('validates run options', async () => {
    await using model = await loadModel(slow);
    expect(await code(model.run(zero(), { priority: Number.NaN }))).toBe('INPUT_INVALID');
    expect(await code(model.run(zero(), { timeoutMs: Number.POSITIVE_INFINITY }))).toBe('INPUT_INVALID');
    expect(await code(model.run(zero(), { signal: {} as AbortSignal }))).toBe('INPUT_INVALID');
    expect(await code(model.run(zero(), null as never))).toBe('INPUT_INVALID');
  });
});

describe('processors', () => {
  it('types and runs pre- and post-processors around the model', async () => {
    const pre: Processor<number[], Tensor> = { name: 'to-tensor', process: (values) => new Tensor('float32', Float32Array.from(values), [1, values.length]) };
    const post: Processor<Outputs, number> = { name: 'argmax', process: ({ y }) => (y!.data as Float32Array).reduce((best, v, i, a) => (v > a[best]! ? i : best), 0) };
    await using model = await loadModel(mlpModel(16), { preprocess: pre, postprocess: post });
    const input = Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const answer: number = await model.run(input);
    const reference = mlpReference(Float32Array.from(input), 1, 16);
    expect(answer).toBe(reference.indexOf(Math.max(...reference)));
  });

  it('passes a processor failure through, and rejects processors without process()', async () => {
    const failing: Processor<unknown, Tensor> = { name: 'broken', process: () => { throw new InprocError('INPUT_INVALID', 'bad image'); } };
    await using model = await loadModel(mlpModel(16), { preprocess: failing });
    expect(await code(model.run(undefined))).toBe('INPUT_INVALID');
    expect(await code(loadModel(mlpModel(16), { preprocess: { name: 'x' } as never }))).toBe('INPUT_INVALID');
  });

  it('disposes processors with the model', async () => {
    let disposed = 0;
    const model = await loadModel(mlpModel(16), { postprocess: { name: 'p', process: (o: Outputs) => o, dispose: () => void disposed++ } });
    await model.dispose();
    await model.dispose();
    expect(disposed).toBe(1);
  });
});

describe('warm-up', () => {
  it('runs zero inputs, or the given feeds, before returning the model', async () => {
    await using model = await loadModel(mlpModel(16), { warmup: 3 });
    expect(model.disposed).toBe(false);
    await using custom = await loadModel(multiIoModel(), {
      warmup: {
        runs: 2,
        feeds: { a: new Tensor('float32', new Float32Array(8), [2, 4]), ids: new Tensor('int64', new BigInt64Array(6), [2, 3]), mask: new Tensor('bool', new Uint8Array(6), [2, 3]) },
      },
    });
    expect(custom.signature.inputs).toHaveLength(3);
  });

  it('one warm-up path: the model itself (processors skipped), random data or a list of feeds, counted in stats', async () => {
    let processed = 0;
    const count = { name: 'count', process: (input: Feeds) => (processed++, input) };
    await using random = await loadModel(mlpModel(16), { preprocess: count, warmup: { runs: 3, data: 'random', seed: 5, dynamicSize: 4 } });
    expect(random.stats().requests).toBe(3);
    const sets = [1, 2].map((n) => ({ x: new Tensor('float32', new Float32Array(n * 16), [n, 16]) }));
    await using listed = await loadModel(mlpModel(16), { preprocess: count, warmup: { runs: 4, feeds: sets } });
    expect(listed.stats().requests).toBe(4);
    expect(processed).toBe(0);
    const bad = await failure(loadModel(mlpModel(16), { warmup: { feeds: [sets[0]!, { x: new Tensor('float32', new Float32Array(15), [1, 15]) }], runs: 2 } }));
    expect(bad.code).toBe('INPUT_SHAPE');
    expect(bad.details).toMatchObject({ feedSet: 1 });
    expect(await code(loadModel(mlpModel(16), { warmup: { runs: 1, data: 'ones' as 'zeros' } }))).toBe('INPUT_INVALID');
  });

  it('fails the load, freeing the session, when warm-up fails', async () => {
    const before = resources();
    expect(await code(loadModel(multiIoModel(), { warmup: { feeds: { a: new Tensor('float32', new Float32Array(4), [1, 4]) } } }))).toBe('INPUT_MISSING');
    expect(resources()).toEqual(before);
  });
});

describe('resource accounting', () => {
  it('is exact across 1,000 runs and 100 load/dispose cycles', async () => {
    const bytes = mlpModel(32);
    const model = await loadModel(bytes);
    const x = new Tensor('float32', new Float32Array(32).fill(0.5), [1, 32]);
    const during = resources();
    expect(during).toEqual({ models: 1, sessions: 1, tensors: 0, bytes: bytes.byteLength });
    for (let i = 0; i < 1000; i++) await model.run({ x });
    expect(resources()).toEqual(during);
    await model.dispose();
    for (let i = 0; i < 100; i++) {
      const m = await loadModel(bytes);
      await m.run({ x });
      await m.dispose();
    }
    expect(resources()).toEqual(baseline);
    expect(liveResources()).toEqual([]);
  });
});

describe('processor context', () => {
  it('gives the processors of one call a shared state, fresh for every call', async () => {
    const seen: unknown[] = [];
    await using model = await loadModel(mlpModel(4), {
      preprocess: {
        name: 'remember',
        process: (input: { id: number }, ctx) => {
          expect(ctx.state?.size).toBe(0);
          ctx.state?.set('id', input.id);
          return new Tensor('float32', new Float32Array(4), [1, 4]);
        },
      },
      postprocess: { name: 'recall', process: (outputs: Outputs, ctx) => (seen.push(ctx.state?.get('id')), outputs) },
    });
    await Promise.all([model.run({ id: 1 }), model.run({ id: 2 }), model.run({ id: 3 })]);
    expect(seen.sort()).toEqual([1, 2, 3]);
  });
});
