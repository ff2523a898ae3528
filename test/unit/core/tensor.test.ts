import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DTYPES, Tensor, type DType } from '@inproc/core';
import { thrownCode } from '../../helpers/errors.js';

describe('Tensor', () => {
  it('wraps typed arrays of every dtype without copying', () => {
    const storage: Record<Exclude<DType, 'string'>, ArrayBufferView> = {
      float32: new Float32Array(6),
      float16: new Uint16Array(6),
      float64: new Float64Array(6),
      int8: new Int8Array(6),
      uint8: new Uint8Array(6),
      int16: new Int16Array(6),
      uint16: new Uint16Array(6),
      int32: new Int32Array(6),
      uint32: new Uint32Array(6),
      int64: new BigInt64Array(6),
      uint64: new BigUint64Array(6),
      bool: new Uint8Array(6),
    };
    for (const [dtype, data] of Object.entries(storage)) {
      const t = new Tensor(dtype as DType, data as never, [2, 3]);
      expect(t.data).toBe(data);
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([2, 3]);
      expect(t.size).toBe(6);
      expect(t.byteLength).toBe(data.byteLength);
    }
    expect(DTYPES).toHaveLength(13);
  });

  it('converts plain and nested arrays', () => {
    expect(new Tensor('float32', [1, 2.5, -3], [3]).data).toEqual(new Float32Array([1, 2.5, -3]));
    expect(new Tensor('int32', [[1, 2], [3, 4]], [2, 2]).data).toEqual(new Int32Array([1, 2, 3, 4]));
    const ids = new Tensor('int64', [1, 2n ** 62n, -7], [3]);
    expect(ids.data).toBeInstanceOf(BigInt64Array);
    expect([...ids.data]).toEqual([1n, 2n ** 62n, -7n]);
    expect([...new Tensor('uint64', [2n ** 64n - 1n], [1]).data]).toEqual([2n ** 64n - 1n]);
    expect([...new Tensor('bool', [true, false, 1, 0], [4]).data]).toEqual([1, 0, 1, 0]);
    expect(new Tensor('string', ['a', 'bc'], [2]).data).toEqual(['a', 'bc']);
    expect(new Tensor('float32', [], [0]).size).toBe(0);
    const scalar = new Tensor('float64', [42], []);
    expect(scalar.size).toBe(1);
    expect(scalar.shape).toEqual([]);
    expect(String(scalar)).toBe('Tensor<float64>[]');
  });

  it('accepts typed arrays from another realm and Node Buffers', () => {
    const foreign = runInNewContext('new Float32Array([1, 2])') as Float32Array;
    expect(foreign instanceof Float32Array).toBe(false);
    expect(new Tensor('float32', foreign, [2]).data).toBe(foreign);
    const buffer = Buffer.from([1, 2, 3]);
    expect(new Tensor('uint8', buffer, [3]).data).toBe(buffer);
  });

  it('keeps its shape immutable', () => {
    const shape = [2, 2];
    const t = new Tensor('float32', new Float32Array(4), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 2]);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });

  it('rejects a dtype, data and shape that disagree', () => {
    expect(thrownCode(() => new Tensor('float128' as DType, [1], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float64Array(4) as never, [4]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('int64', new Int32Array(4) as never, [4]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new DataView(new ArrayBuffer(8)) as never, [2]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(4), [2, 3]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(4), [-1, -4]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(4), [2.5, 2]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(4), [Number.NaN]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(4), '4' as never))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', 'abcd' as never, [4]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', null as never, [0]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', new Float32Array(0), [2 ** 30, 2 ** 30, 2 ** 30]))).toBe('INPUT_INVALID');
  });

  it('rejects elements that do not fit the dtype, saying which', () => {
    expect(thrownCode(() => new Tensor('uint8', [1, 256], [2]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('int8', [-129], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('int32', [1.5], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('int64', [2 ** 60], [1]))).toBe('INPUT_INVALID'); // unsafe as a number
    expect(thrownCode(() => new Tensor('int64', [2n ** 63n], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('uint64', [-1n], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('bool', [2], [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('float32', ['1'] as never, [1]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => new Tensor('string', [1] as never, [1]))).toBe('INPUT_INVALID');
    // The message says which element, what was expected and what was given.
    expect(() => new Tensor('uint8', [1, 2, 300], [3])).toThrowError(/^tensor: element 2 of a uint8 tensor must be an integer in \[0, 255\], got 300$/);
  });

  it('dataAs reads the data as a named dtype, checked, with no cast', () => {
    const t: Tensor = new Tensor('float32', [0.25, 0.5], [2]);
    const data: Float32Array = t.dataAs('float32');
    expect(data).toBe(t.data);
    expect(data[1]).toBe(0.5);
    const ids: BigInt64Array = new Tensor('int64', [7n], [1]).dataAs('int64');
    expect(ids[0]).toBe(7n);
    const words: string[] = new Tensor('string', ['a'], [1]).dataAs('string');
    expect(words).toEqual(['a']);
    expect(thrownCode(() => t.dataAs('int64'))).toBe('INPUT_DTYPE');
    expect(() => t.dataAs('float64')).toThrow("tensor [2] holds float32, read as float64; use dataAs('float32')");
    expect(thrownCode(() => t.dataAs('float8' as DType))).toBe('INPUT_INVALID');
    // float16 and bool share storage with uint16 and uint8, but are not those dtypes.
    expect(thrownCode(() => new Tensor('bool', [true], [1]).dataAs('uint8'))).toBe('INPUT_DTYPE');
    t.dispose();
    expect(thrownCode(() => t.dataAs('float32'))).toBe('DISPOSED');
  });

  it('disposes idempotently and refuses use afterwards', () => {
    const t = new Tensor('float32', new Float32Array(2), [2]);
    expect(t.disposed).toBe(false);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(thrownCode(() => t.data)).toBe('DISPOSED');
    {
      using scoped = new Tensor('int32', [1], [1]);
      expect(scoped.data[0]).toBe(1);
      var escaped = scoped; // eslint-disable-line no-var
    }
    expect(escaped.disposed).toBe(true);
  });
});
