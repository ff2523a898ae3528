import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, formatShape, isTensor, type Signature } from '@inproc/core';
import { validateFeeds } from '@inproc/core/backend';

const signature: Signature = {
  inputs: [
    { name: 'pixels', dtype: 'float32', shape: ['batch', 3, null, null] },
    { name: 'ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'scale', dtype: 'float32', shape: [] },
  ],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 10] }],
};

const pixels = (b: number, h = 8): Tensor => new Tensor('float32', new Float32Array(b * 3 * h * 8), [b, 3, h, 8]);
const ids = (b: number, s = 5): Tensor => new Tensor('int64', new BigInt64Array(b * s), [b, s]);
const scale = new Tensor('float32', [1], []);

function error(fn: () => unknown): InprocError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InprocError);
    return e as InprocError;
  }
  throw new Error('expected an InprocError');
}

describe('validateFeeds', () => {
  it('accepts feeds that match, with free dynamic dimensions', () => {
    const feeds = { pixels: pixels(2, 16), ids: ids(2, 7), scale };
    const checked = validateFeeds(signature, feeds);
    // A snapshot of the caller's record (read once), holding the same tensors.
    expect(checked).not.toBe(feeds);
    expect(Object.keys(checked)).toEqual(['pixels', 'ids', 'scale']);
    for (const name of ['pixels', 'ids', 'scale'] as const) expect(checked[name]).toBe(feeds[name]);
  });

  it('names the missing input and what was given', () => {
    const e = error(() => validateFeeds(signature, { pixels: pixels(1), scale }));
    expect(e.code).toBe('INPUT_MISSING');
    expect(e.message).toBe('input "ids" (int64 [batch, seq]) is missing; given "pixels", "scale"');
  });

  it('rejects an unexpected input, listing the real ones', () => {
    const e = error(() => validateFeeds(signature, { pixels: pixels(1), ids: ids(1), scale, mask: scale }));
    expect(e.code).toBe('INPUT_UNEXPECTED');
    expect(e.message).toContain('"mask"');
    expect(e.message).toContain('"pixels", "ids", "scale"');
  });

  it('rejects a wrong dtype', () => {
    const e = error(() => validateFeeds(signature, { pixels: pixels(1), ids: new Tensor('int32', new Int32Array(5), [1, 5]), scale }));
    expect(e.code).toBe('INPUT_DTYPE');
    expect(e.message).toBe('input "ids": expected dtype int64, got int32');
  });

  it('rejects a wrong rank and a wrong fixed dimension', () => {
    const rank = error(() => validateFeeds(signature, { pixels: new Tensor('float32', new Float32Array(24), [3, 8]), ids: ids(1), scale }));
    expect(rank.code).toBe('INPUT_SHAPE');
    expect(rank.message).toBe('input "pixels": expected shape [batch, 3, ?, ?] (rank 4), got [3, 8] (rank 2)');
    const fixed = error(() => validateFeeds(signature, { pixels: new Tensor('float32', new Float32Array(4 * 64), [1, 4, 8, 8]), ids: ids(1), scale }));
    expect(fixed.code).toBe('INPUT_SHAPE');
    expect(fixed.message).toContain('dimension 1 must be 3');
    const scalar = error(() => validateFeeds(signature, { pixels: pixels(1), ids: ids(1), scale: new Tensor('float32', [1], [1]) }));
    expect(scalar.code).toBe('INPUT_SHAPE');
  });

  it('requires a symbolic dimension to agree across the inputs of one call', () => {
    const e = error(() => validateFeeds(signature, { pixels: pixels(2), ids: ids(3), scale }));
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.message).toBe('input "ids": dimension "batch" (axis 0) is 3, but it is 2 in input "pixels"; inputs sharing a symbolic dimension must agree');
  });

  it('takes a bare tensor for a single-input model only', () => {
    const single: Signature = { inputs: [{ name: 'x', dtype: 'float32', shape: [null] }], outputs: [] };
    const x = new Tensor('float32', [1, 2], [2]);
    expect(validateFeeds(single, x)).toEqual({ x });
    expect(error(() => validateFeeds(signature, x)).code).toBe('INPUT_INVALID');
  });

  it('rejects feeds that are not tensors, and disposed tensors', () => {
    expect(error(() => validateFeeds(signature, null)).code).toBe('INPUT_INVALID');
    expect(error(() => validateFeeds(signature, [pixels(1)])).code).toBe('INPUT_INVALID');
    expect(error(() => validateFeeds(signature, 'x')).code).toBe('INPUT_INVALID');
    expect(error(() => validateFeeds(signature, { pixels: new Float32Array(3), ids: ids(1), scale })).code).toBe('INPUT_INVALID');
    const gone = pixels(1);
    gone.dispose();
    expect(error(() => validateFeeds(signature, { pixels: gone, ids: ids(1), scale })).code).toBe('DISPOSED');
  });

  it('skips shape checks for inputs of unknown rank', () => {
    const loose: Signature = { inputs: [{ name: 'x', dtype: 'float32', shape: [], unknownRank: true }], outputs: [] };
    expect(() => validateFeeds(loose, new Tensor('float32', new Float32Array(8), [2, 2, 2]))).not.toThrow();
  });

  it('recognises tensors by brand, also from another copy of core', () => {
    expect(isTensor(scale)).toBe(true);
    expect(isTensor({ dtype: 'float32', shape: [], data: new Float32Array(1) })).toBe(false);
    const foreign = Object.create(Object.getPrototypeOf(scale) as object) as object;
    expect(isTensor(foreign)).toBe(true);
    expect(formatShape(['batch', 3, null])).toBe('[batch, 3, ?]');
  });
});
