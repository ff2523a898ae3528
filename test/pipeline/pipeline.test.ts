/**
 * Pipelines of real onnxruntime models (generated ONNX fixtures): typed sequences,
 * parallel branches, fan-out over items, batching, cancellation, and one dispose()
 * that frees every model (resources() back to where it started).
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  batched,
  chain,
  defineProcessor,
  each,
  loadModel,
  parallel,
  pipeline,
  resources,
  softmax,
  topK,
  type Feeds,
  type Outputs,
  type Pipeline,
  type Runnable,
  type ScoredLabel,
} from 'inproc';
import { failingModel, mlpModel, mlpReference, rowSumModel, slowModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';


const row = (values: number[]): Tensor<'float32'> => new Tensor('float32', Float32Array.from(values), [1, values.length]);
const input256 = (seed: number): Float32Array => Float32Array.from({ length: 256 }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));

describe('pipeline', () => {
  it('chains a function, a model and processors with types inferred end to end', async () => {
    const before = resources();
    const mlp = await loadModel(mlpModel());
    const classify = pipeline(
      (x: Float32Array) => ({ x: new Tensor('float32', x, [1, 256]) }),
      mlp,
      softmax({ output: 'y' }),
      topK({ k: 3 }),
      (rows: ScoredLabel[][]) => rows[0]!.map((s) => s.index),
    );
    const typed: Pipeline<Float32Array, number[]> = classify;
    const x = input256(1);
    const top = await typed.run(x);
    const reference = [...mlpReference(x, 1)].map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v);
    expect(top).toEqual(reference.slice(0, 3).map((r) => r.i));
    expect(resources().models).toBe(before.models + 1);
    await classify.dispose();
    await classify.dispose();
    expect(mlp.disposed).toBe(true);
    expect(resources()).toEqual(before);
    expect(await code(classify.run(x))).toBe('DISPOSED');
  });

  it('fans out to parallel branches sharing one model, joins them, and disposes the shared model once', async () => {
    const before = resources();
    const sums = await loadModel(rowSumModel());
    const mlp = await loadModel(mlpModel());
    const both = pipeline(
      (x: Float32Array) => ({ x: new Tensor('float32', x, [1, 256]) }),
      parallel({ a: sums, b: mlp, c: sums }),
      ({ a, b, c }: { a: Outputs; b: Outputs; c: Outputs }) => ({ sum: (a['y']!.data as Float32Array)[0]!, again: (c['y']!.data as Float32Array)[0]!, first: (b['y']!.data as Float32Array)[0]! }),
    );
    const x = input256(2);
    const out = await both.run(x);
    const sum = x.reduce((s, v) => s + v, 0);
    expect(out.sum).toBeCloseTo(sum, 3);
    expect(out.again).toBe(out.sum);
    expect(out.first).toBeCloseTo(mlpReference(x, 1)[0]!, 4);
    await both.dispose();
    expect(sums.disposed && mlp.disposed).toBe(true);
    expect(resources()).toEqual(before);
  });

  it('batches many feeds into few calls and splits the outputs back per item', async () => {
    const before = resources();
    const model = await loadModel(rowSumModel());
    let calls = 0;
    const rowsPerCall: number[] = [];
    const counted: Runnable<Feeds, Outputs> = {
      run: (feeds, options) => {
        calls++;
        rowsPerCall.push((feeds as Record<string, Tensor>)['x']!.shape[0]!);
        return model.run(feeds, options);
      },
      dispose: () => model.dispose(),
    };
    const sums = pipeline(
      (crops: number[][]) => crops.map((c) => ({ x: row(c) })),
      batched(counted, { batchSize: 2 }),
      (outs: Outputs[]) => outs.map((o) => [...(o['y']!.data as Float32Array)]),
    );
    const crops = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
      [0.5, 0.25, 0],
    ];
    expect(await sums.run(crops)).toEqual([[6], [15], [24], [33], [0.75]]);
    expect(calls).toBe(3);
    expect(rowsPerCall).toEqual([2, 2, 1]);
    expect(await sums.run([])).toEqual([]);
    // Items of different widths cannot share a batch.
    expect(await code(sums.run([[1, 2], [1, 2, 3]]))).toBe('INPUT_SHAPE');
    await sums.dispose();
    expect(model.disposed).toBe(true);
    expect(resources()).toEqual(before);
  });

  it('splits every output, and batches items that already carry several rows', async () => {
    await using model = await loadModel(rowSumModel());
    const step = batched(model, { batchSize: 4 });
    const items = [{ x: new Tensor('float32', [1, 1, 2, 2], [2, 2]) }, { x: new Tensor('float32', [3, 3, 4, 4, 5, 5], [3, 2]) }];
    const outs = await step.run(items);
    expect(outs.map((o) => o['y']!.shape)).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(outs.map((o) => [...(o['y']!.data as Float32Array)])).toEqual([
      [2, 4],
      [6, 8, 10],
    ]);
    expect([...(outs[1]!['z']!.data as Float32Array)]).toEqual([9, 9, 12, 12, 15, 15]);
  });

  it('runs a nested pipeline over each item, in item order', async () => {
    const before = resources();
    const model = await loadModel(rowSumModel());
    const sumOf = pipeline((v: number[]) => ({ x: row(v) }), model, (o: Outputs) => (o['y']!.data as Float32Array)[0]!);
    const all = pipeline(each(sumOf, { concurrency: 3 }), (sums: number[]) => sums.join(','));
    expect(await all.run([[1], [2, 3], [4, 5, 6], [7]])).toBe('1,5,15,7');
    await all.dispose();
    expect(resources()).toEqual(before);
  });

  it('aborts, times out, and reports a failing model, and still frees everything', async () => {
    const before = resources();
    const failing = await loadModel(failingModel());
    const slow = await loadModel(slowModel({ depth: 60 }));
    const bad = pipeline((n: number) => new Tensor('float32', new Float32Array(n), [n]), failing);
    expect(await code(bad.run(4))).toBe('RUN_FAILED');
    const wait = pipeline((x: Tensor) => ({ x }), slow);
    const controller = new AbortController();
    controller.abort();
    expect(await code(wait.run(new Tensor('float32', new Float32Array(512), [1, 512]), { signal: controller.signal }))).toBe('ABORTED');
    expect(await code(wait.run(new Tensor('float32', new Float32Array(512), [1, 512]), { timeoutMs: 0 }))).toBe('TIMEOUT');
    // dispose() waits for a call in flight, which then completes normally.
    const inFlight = wait.run(new Tensor('float32', new Float32Array(512), [1, 512]));
    await wait.dispose();
    await expect(inFlight).resolves.toHaveProperty('y');
    await bad.dispose();
    expect(resources()).toEqual(before);
  });

  it('disposes the tensors models returned inside a call unless they are part of the result', async () => {
    await using model = await loadModel(rowSumModel());
    let seen: Outputs | undefined;
    const keepZ = pipeline((v: number[]) => ({ x: row(v) }), model, (o: Outputs) => {
      seen = o;
      return { z: o['z']! };
    });
    const { z } = await keepZ.run([1, 2]);
    expect([...(z.data as Float32Array)]).toEqual([3, 6]);
    expect(z.disposed).toBe(false);
    expect(seen!['y']!.disposed).toBe(true);
  });

  it('types a model from its processors: loadModel(src, { postprocess: chain(...) }) yields Model<Feeds, ScoredLabel[][]>', async () => {
    await using model = await loadModel(mlpModel(), { postprocess: chain(softmax(), topK({ k: 2 })) });
    const x = input256(3);
    const rows: ScoredLabel[][] = await model.run({ x: new Tensor('float32', x, [1, 256]) });
    const best = [...mlpReference(x, 1)].map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v);
    expect(rows[0]!.map((s) => s.index)).toEqual([best[0]!.i, best[1]!.i]);
    const sum = rows[0]!.reduce((s, r) => s + r.score, 0);
    expect(sum).toBeLessThanOrEqual(1);
  });

  it('gives the processor steps of one call a shared state map, fresh for every call', async () => {
    const remember = defineProcessor('remember', (x: number, ctx) => {
      ctx.state?.set('input', x);
      return x * 2;
    });
    const recall = defineProcessor('recall', (y: number, ctx) => ({ y, input: ctx.state?.get('input'), size: ctx.state?.size }));
    const p = pipeline(remember, (y: number) => y + 1, recall);
    expect(await p.run(5)).toEqual({ y: 11, input: 5, size: 1 });
    expect(await p.run(7)).toEqual({ y: 15, input: 7, size: 1 });
  });

  it('rejects bad steps and options with INPUT_INVALID', async () => {
    const invalid = (fn: () => unknown): Promise<string> => code(Promise.resolve().then(fn));
    expect(await invalid(() => (pipeline as (...steps: unknown[]) => unknown)())).toBe('INPUT_INVALID');
    expect(await invalid(() => pipeline(42 as never))).toBe('INPUT_INVALID');
    expect(await invalid(() => parallel({}))).toBe('INPUT_INVALID');
    expect(await invalid(() => each((x: number) => x, { concurrency: 0 }))).toBe('INPUT_INVALID');
    expect(await invalid(() => batched({ run: () => Promise.resolve({}) }, { batchSize: 0 }))).toBe('INPUT_INVALID');
    const p = pipeline((x: number) => x + 1);
    expect(await code(p.run(1, null as never))).toBe('INPUT_INVALID');
    expect(await code(pipeline(each((x: number) => x)).run(5 as never))).toBe('INPUT_INVALID');
  });

  it('does not compile when a step does not accept the previous result', () => {
    const toText = (n: number): string => String(n);
    const half = (n: number): number => n / 2;
    // @ts-expect-error a string is not a number
    const bad = pipeline(toText, half);
    expect(bad.name).toBe('toText > half');
  });
});
