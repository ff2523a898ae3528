/**
 * The generic post-processors of core (softmax, sigmoid, argmax, top-k, threshold,
 * pick-output) and `chain`, against reference values computed independently with
 * NumPy 2.4 (float64), e.g.
 *   x = np.array([[1., 2., 3.], [-1., .5, 4.]]); e = np.exp(x - x.max(1, keepdims=True)); e / e.sum(1, keepdims=True)
 *   1 / (1 + np.exp(-np.array([-3., -1., 0., .5, 2., 10.])))
 */
import { describe, expect, it } from 'vitest';
import { callCode, code } from '../helpers/errors.js';
import {
  Tensor,
  argmax,
  chain,
  createProcessor,
  defineProcessor,
  listProcessors,
  pickOutput,
  sigmoid,
  softmax,
  threshold,
  topK,
  type Processor,
  type ProcessorContext,
  type ScoredLabel,
} from '@inproc/core';

const ctx: ProcessorContext = { signature: { inputs: [], outputs: [] }, signal: undefined };
const logits = (): Tensor<'float32'> => new Tensor('float32', new Float32Array([1, 2, 3, -1, 0.5, 4]), [2, 3]);

describe('softmax', () => {
  it('matches NumPy along the last axis and along axis 0', async () => {
    const last = await softmax().process(logits(), ctx);
    expect(last.dtype).toBe('float32');
    expect(last.shape).toEqual([2, 3]);
    const want = [0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 0.00649794331566194, 0.0291217615374784, 0.9643802951468596];
    [...last.data].forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 7));
    const first = await softmax({ axis: 0 }).process(logits(), ctx);
    const want0 = [0.8807970779778823, 0.8175744761936437, 0.2689414213699951, 0.11920292202211755, 0.18242552380635632, 0.7310585786300049];
    [...first.data].forEach((v, i) => expect(v).toBeCloseTo(want0[i]!, 7));
  });

  it('does not overflow on large logits and spreads evenly over an all -Infinity row', async () => {
    const out = await softmax().process(new Tensor('float32', [1000, 1000, -Infinity, -Infinity], [2, 2]), ctx);
    expect([...out.data]).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('reads float64, int64 and float16 tensors', async () => {
    const f64 = await softmax().process(new Tensor('float64', [0, Math.log(3)], [2]), ctx);
    expect([...f64.data].map((v) => +v.toFixed(6))).toEqual([0.25, 0.75]);
    const i64 = await softmax().process(new Tensor('int64', [0n, 0n], [2]), ctx);
    expect([...i64.data]).toEqual([0.5, 0.5]);
    // float16 bits: 0x0000 = 0, 0x3c00 = 1, 0xc000 = -2
    const f16 = await softmax().process(new Tensor('float16', new Uint16Array([0x0000, 0x3c00, 0xc000]), [3]), ctx);
    const e = [1, Math.E, Math.exp(-2)];
    const sum = e[0]! + e[1]! + e[2]!;
    [...f16.data].forEach((v, i) => expect(v).toBeCloseTo(e[i]! / sum, 6));
  });

  it("picks a model's output by name, or the only one", async () => {
    const only = await softmax().process({ logits: logits() }, ctx);
    expect(only.shape).toEqual([2, 3]);
    const named = await softmax({ output: 'b' }).process({ a: new Tensor('float32', [0], [1]), b: logits() }, ctx);
    expect(named.shape).toEqual([2, 3]);
    expect(await code(softmax().process({ a: logits(), b: logits() }, ctx))).toBe('INPUT_INVALID');
    expect(await code(softmax({ output: 'c' }).process({ a: logits() }, ctx))).toBe('INPUT_INVALID');
  });

  it('rejects bad options and bad tensors with codes', async () => {
    expect(await callCode(() => softmax({ axis: 0.5 }))).toBe('INPUT_INVALID');
    expect(await callCode(() => softmax({ output: '' }))).toBe('INPUT_INVALID');
    expect(await code(softmax({ axis: 2 }).process(logits(), ctx))).toBe('INPUT_SHAPE');
    expect(await code(softmax().process(new Tensor('float32', [1], []), ctx))).toBe('INPUT_SHAPE');
    expect(await code(softmax().process(new Tensor('string', ['a'], [1]), ctx))).toBe('INPUT_DTYPE');
    const disposed = logits();
    disposed.dispose();
    expect(await code(softmax().process(disposed, ctx))).toBe('DISPOSED');
  });
});

describe('sigmoid', () => {
  it('matches NumPy and stays finite at the extremes', async () => {
    const out = await sigmoid().process(new Tensor('float64', [-3, -1, 0, 0.5, 2, 10], [6]), ctx);
    const want = [0.04742587317756678, 0.2689414213699951, 0.5, 0.6224593312018546, 0.8807970779778823, 0.9999546021312976];
    [...out.data].forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 7));
    const extreme = await sigmoid().process(new Tensor('float32', [-1000, 1000], [2]), ctx);
    expect([...extreme.data]).toEqual([0, 1]);
  });
});

describe('argmax', () => {
  it('reduces an axis to int32 indices, ties to the first, NaN never wins', async () => {
    const last = await argmax().process(logits(), ctx);
    expect(last.dtype).toBe('int32');
    expect(last.shape).toEqual([2]);
    expect([...last.data]).toEqual([2, 2]);
    const first = await argmax({ axis: 0 }).process(logits(), ctx);
    expect([...first.data]).toEqual([0, 0, 1]);
    const ties = await argmax().process(new Tensor('float32', [NaN, 5, 5, 1], [4]), ctx);
    expect(ties.shape).toEqual([]);
    expect([...ties.data]).toEqual([1]);
    expect(await code(argmax().process(new Tensor('float32', new Float32Array(0), [2, 0]), ctx))).toBe('INPUT_SHAPE');
  });
});

describe('top-k', () => {
  it('returns the k best labelled classes per row, best first, ties in index order', async () => {
    const rows = await topK({ k: 2, labels: ['cat', 'dog', 'fox'] }).process(logits(), ctx);
    expect(rows).toEqual([
      [
        { index: 2, label: 'fox', score: 3 },
        { index: 1, label: 'dog', score: 2 },
      ],
      [
        { index: 2, label: 'fox', score: 4 },
        { index: 1, label: 'dog', score: 0.5 },
      ],
    ]);
    const ties = await topK({ k: 5 }).process(new Tensor('float32', [1, 3, 3, NaN], [4]), ctx);
    // NaN is not a score: it is left out.
    expect(ties[0]!.map((s) => s.index)).toEqual([1, 2, 0]);
    expect(ties[0]![0]!.label).toBe('1');
    const min = await topK({ k: 3, minScore: 2 }).process(logits(), ctx);
    expect(min.map((r) => r.map((s) => s.index))).toEqual([[2, 1], [2]]);
  });

  it('rejects labels that do not match the classes, and bad k', async () => {
    expect(await code(topK({ k: 1, labels: ['a', 'b'] }).process(logits(), ctx))).toBe('INPUT_SHAPE');
    expect(await callCode(() => topK({ k: 0 }))).toBe('INPUT_INVALID');
    expect(await callCode(() => topK({ k: 1, labels: [1, 2] as unknown as string[] }))).toBe('INPUT_INVALID');
  });
});

describe('threshold', () => {
  it('gives a bool mask, inclusive by default', async () => {
    const x = new Tensor('float32', [0.2, 0.5, 0.7, NaN], [2, 2]);
    const inclusive = await threshold({ threshold: 0.5 }).process(x, ctx);
    expect(inclusive.dtype).toBe('bool');
    expect(inclusive.shape).toEqual([2, 2]);
    expect([...inclusive.data]).toEqual([0, 1, 1, 0]);
    const strict = await threshold({ threshold: 0.5, inclusive: false }).process(x, ctx);
    expect([...strict.data]).toEqual([0, 0, 1, 0]);
    expect(await callCode(() => threshold({ threshold: NaN }))).toBe('INPUT_INVALID');
    expect(await callCode(() => threshold({ threshold: 1, inclusive: 'yes' as unknown as boolean }))).toBe('INPUT_INVALID');
  });
});

describe('registry', () => {
  it('has every generic processor, created from data with validated params', async () => {
    const names = listProcessors().map((f) => f.name);
    for (const name of ['softmax', 'sigmoid', 'argmax', 'top-k', 'threshold', 'pick-output']) expect(names).toContain(name);
    const manifest = [
      { name: 'pick-output', params: { name: 'logits' } },
      { name: 'softmax', params: { axis: -1 } },
      { name: 'top-k', params: { k: 1, labels: ['cat', 'dog', 'fox'] } },
    ];
    const steps = manifest.map((spec) => createProcessor(spec));
    let value: unknown = { logits: logits(), other: logits() };
    for (const step of steps) value = await step.process(value, ctx);
    expect((value as ScoredLabel[][]).map((r) => r[0]!.label)).toEqual(['fox', 'fox']);
    expect(await callCode(() => createProcessor({ name: 'top-k', params: { k: -1 } }))).toBe('INPUT_INVALID');
    expect(await callCode(() => createProcessor({ name: 'softmax', params: { dim: 1 } }))).toBe('INPUT_INVALID');
    expect(await callCode(() => createProcessor({ name: 'pick-output', params: {} }))).toBe('INPUT_INVALID');
  });
});

describe('chain', () => {
  it('composes typed steps, checks the signal between steps and disposes each once, last first', async () => {
    const disposed: string[] = [];
    const toTensor = defineProcessor('to-tensor', (x: number[]) => new Tensor('float32', x, [1, x.length]), () => void disposed.push('to-tensor'));
    const labels: Processor<ScoredLabel[][], string> = { name: 'first-label', process: (rows) => rows[0]![0]!.label, dispose: () => void disposed.push('first-label') };
    const classify = chain(toTensor, softmax(), topK({ k: 1, labels: ['a', 'b', 'c'] }), labels);
    // The chain's type is inferred end to end: number[] in, string out.
    const answer: string = await classify.process([0.1, 3, 0.2], ctx);
    expect(answer).toBe('b');
    expect(classify.name).toBe('to-tensor > softmax > top-k > first-label');
    await classify.dispose?.();
    await classify.dispose?.();
    expect(disposed).toEqual(['first-label', 'to-tensor']);

    const controller = new AbortController();
    controller.abort();
    expect(await code(classify.process([1, 2, 3], { ...ctx, signal: controller.signal }))).toBe('ABORTED');
    expect(await callCode(() => (chain as (...steps: unknown[]) => unknown)())).toBe('INPUT_INVALID');
    expect(await callCode(() => chain({ name: 'x' } as unknown as Processor))).toBe('INPUT_INVALID');
    expect(await callCode(() => pickOutput(''))).toBe('INPUT_INVALID');
  });

  it('does not compile when a step does not accept the previous output', () => {
    const toTensor = defineProcessor('to-tensor', (x: number[]) => new Tensor('float32', x, [x.length]));
    const wantsString = defineProcessor('wants-string', (s: string) => s.length);
    // @ts-expect-error a Tensor is not a string
    const bad = chain(toTensor, wantsString);
    expect(bad.name).toBe('to-tensor > wants-string');
  });
});
