/**
 * Feeds are read exactly once (issue: hardening): validation takes a snapshot of the
 * caller's feeds and everything after it uses that snapshot; only real Tensors pass;
 * tensors cannot be changed after construction; every rejection is a coded InprocError.
 */
import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, loadModel, resources } from 'inproc';
import { code } from '../helpers/errors.js';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

const SIZE = 8;
const input = (rows = 2, fill = 0.5): Tensor<'float32'> => new Tensor('float32', new Float32Array(rows * SIZE).fill(fill), [rows, SIZE]);
const detach = (buffer: ArrayBufferLike): void => void structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });

describe('feeds are read once, as a snapshot', () => {
  it('reads a getter once: what passed validation is what runs', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    const good = input(2, 1);
    let reads = 0;
    const feeds = {
      get x(): Tensor {
        reads++;
        return reads === 1 ? good : new Tensor('float32', new Float32Array(3), [3]); // a second read would hand the runtime a bad tensor
      },
    };
    const out = await model.run(feeds);
    expect(reads).toBe(1);
    const want = mlpReference(good.data, 2, SIZE);
    (out['y']!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });

  it('takes only own enumerable string keys: inherited and non-enumerable feeds are missing', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    expect(await code(model.run(Object.create({ x: input() }) as Record<string, Tensor>))).toBe('INPUT_MISSING');
    const hidden = {};
    Object.defineProperty(hidden, 'x', { value: input(), enumerable: false });
    expect(await code(model.run(hidden))).toBe('INPUT_MISSING');
    // The same through batching, the cache and a worker: no mode reads the caller's object again.
    for (const options of [{ batching: { maxBatchSize: 4, maxDelayMs: 0 } }, { cache: { maxBytes: 1 << 20 } }, { isolation: 'worker' as const }]) {
      await using other = await loadModel(mlpModel(SIZE), options);
      expect(await code(other.run(hidden))).toBe('INPUT_MISSING');
      expect(await code(other.run(Object.create({ x: input() }) as Record<string, Tensor>))).toBe('INPUT_MISSING');
    }
  });

  it('wraps a throwing getter and a revoked Proxy as INPUT_INVALID with the original as cause', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    const boom = new Error('getter says no');
    const error = await model.run({
      get x(): Tensor {
        throw boom;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InprocError);
    expect((error as InprocError).code).toBe('INPUT_INVALID');
    expect((error as InprocError).cause).toBe(boom);
    const { proxy, revoke } = Proxy.revocable({ x: input() }, {});
    revoke();
    expect(await code(model.run(proxy))).toBe('INPUT_INVALID');
    // Still serving.
    expect((await model.run({ x: input() }))['y']!.shape).toEqual([2, SIZE]);
  });

  it('accepts only real Tensors: not a Proxy of one, not Object.create(Tensor.prototype), not an object with the brand', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    const real = input();
    const fakes: unknown[] = [
      new Proxy(real, {}),
      Object.create(Tensor.prototype),
      { [Symbol.for('inproc.tensor')]: true, dtype: 'float32', shape: [2, SIZE], size: 16, disposed: false, data: new Float32Array(3) },
    ];
    for (const [i, fake] of fakes.entries()) {
      const error = await model.run({ x: fake as Tensor }).catch((e: unknown) => e);
      expect(error, `fake ${i}`).toBeInstanceOf(InprocError);
      expect((error as InprocError).code).toBe('INPUT_INVALID');
    }
    // A bare Proxy of a Tensor as the feeds of a single-input model, too.
    expect(await code(model.run(new Proxy(real, {})))).toBe('INPUT_INVALID');
  });

  it('accepts a tensor of another copy of core when its fields hold up, and checks its data', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    // What a duplicate copy of @inproc/core makes: the brand on its prototype, its own class.
    const foreign = (data: Float32Array, shape: number[]): unknown => {
      const proto = { [Symbol.for('inproc.tensor')]: true };
      return Object.assign(Object.create(proto) as object, { dtype: 'float32', shape, size: shape.reduce((a, b) => a * b, 1), disposed: false, data, location: 'cpu' });
    };
    const ok = await model.run({ x: foreign(new Float32Array(16).fill(0.5), [2, SIZE]) as Tensor });
    expect(ok['y']!.shape).toEqual([2, SIZE]);
    expect(await code(model.run({ x: foreign(new Float32Array(3), [2, SIZE]) as Tensor }))).toBe('INPUT_INVALID');
  });
});

describe('tensors are immutable after construction', () => {
  it('refuses to change dtype, shape or size', () => {
    const t = input();
    expect(() => {
      (t as unknown as { shape: number[] }).shape = [4, 4];
    }).toThrow(TypeError);
    expect(() => {
      (t as unknown as { dtype: string }).dtype = 'int32';
    }).toThrow(TypeError);
    expect(() => {
      (t as unknown as { size: number }).size = 1;
    }).toThrow(TypeError);
    expect(() => (t.shape as number[]).push(1)).toThrow(TypeError);
    expect(t.shape).toEqual([2, SIZE]);
    expect(t.dtype).toBe('float32');
  });
});

describe('inputs whose memory changed after construction', () => {
  it('a detached input is INPUT_INVALID in every mode, and the model keeps serving', async () => {
    const before = resources();
    const modes = [{}, { batching: { maxBatchSize: 8, maxDelayMs: 0 } }, { cache: { maxBytes: 1 << 20 } }, { isolation: 'worker' as const }];
    for (const options of modes) {
      const model = await loadModel(mlpModel(SIZE), options);
      const t = input();
      detach(t.data.buffer);
      const error = await model.run({ x: t }).catch((e: unknown) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(InprocError);
      expect((error as InprocError).code).toBe('INPUT_INVALID');
      expect((error as InprocError).message).toMatch(/detached|elements/);
      expect((await model.run({ x: input() }))['y']!.shape).toEqual([2, SIZE]);
      await model.dispose();
    }
    expect(resources()).toEqual(before);
  });

  it('runs SharedArrayBuffer-backed tensors, in process and in workers', async () => {
    const shared = new Float32Array(new SharedArrayBuffer(16 * 4)).fill(0.5);
    const want = mlpReference(new Float32Array(16).fill(0.5), 2, SIZE);
    for (const options of [{}, { isolation: 'worker' as const }, { batching: { maxBatchSize: 4, maxDelayMs: 0 } }]) {
      await using model = await loadModel(mlpModel(SIZE), options);
      const out = await model.run({ x: new Tensor('float32', shared, [2, SIZE]) });
      (out['y']!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    }
  });

  it('loads a model held in a SharedArrayBuffer; a detached ArrayBuffer source is INPUT_INVALID', async () => {
    const bytes = mlpModel(SIZE);
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
    shared.set(bytes);
    await using model = await loadModel(shared);
    expect(model.signature.inputs[0]!.name).toBe('x');
    const gone = new ArrayBuffer(16);
    detach(gone);
    expect(await code(loadModel(gone))).toBe('INPUT_INVALID');
    const view = new Uint8Array(new ArrayBuffer(16));
    detach(view.buffer);
    expect(await code(loadModel(view))).toBe('INPUT_INVALID');
  });
});

describe('run options', () => {
  it('timeoutMs must fit a timer: 2^31 and more, negatives and NaN are INPUT_INVALID', async () => {
    await using model = await loadModel(mlpModel(SIZE));
    for (const timeoutMs of [2 ** 31, 2 ** 40, -1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(await code(model.run({ x: input() }, { timeoutMs })), String(timeoutMs)).toBe('INPUT_INVALID');
    }
    expect((await model.run({ x: input() }, { timeoutMs: 2 ** 31 - 1 }))['y']!.shape).toEqual([2, SIZE]);
  });
});
