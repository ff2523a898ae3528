/**
 * Warm-up inputs synthesized from a signature: zeros, with every symbolic dimension 1.
 * @module
 */
import { STORAGE } from './dtype.js';
import type { Signature } from './signature.js';
import { Tensor } from './tensor.js';

/** Zero-filled feeds that satisfy `signature` (symbolic and dynamic dimensions set to `dynamicSize`). */
export function zeroFeeds(signature: Signature, dynamicSize = 1): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const info of signature.inputs) {
    const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : dynamicSize));
    const size = shape.reduce((a, b) => a * b, 1);
    const data = info.dtype === 'string' ? new Array<string>(size).fill('') : new STORAGE[info.dtype](size);
    feeds[info.name] = new Tensor(info.dtype, data, shape);
  }
  return feeds;
}
