/**
 * FP32 tensor data in JSON: each element printed as the shortest decimal that reads back
 * as the same float32 (`float32Text`, `@inproc/kserve/protocol`). Checked over a sweep
 * of all float32 bit patterns, every binade's edges (powers of two, where the interval
 * below is half as wide), powers of ten and subnormals: every text is JSON, reads back
 * exactly (`Math.fround(Number(s))`, what a JavaScript reader computes, and through our
 * own JSON decoder), and no decimal with fewer significant digits would read back.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@inproc/core';
import { decodeInferRequest, encodeInferRequest, float32Text } from '@inproc/kserve/protocol';

const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);
const ofBits = (bits: number): number => {
  u[0] = bits;
  return f[0]!;
};
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Significant digits of a decimal's text. */
function significant(text: string): number {
  const digits = text.replace('-', '').split(/e/i)[0]!.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(digits.length, 1);
}

/** Fewest significant digits of any decimal that reads back as x: the k-digit decimals either side of x are the only candidates. */
function fewestDigits(x: number): number {
  const a = Math.abs(x);
  for (let k = 1; k <= 9; k++) {
    const [mantissa, exponent] = a.toExponential(k - 1).split('e') as [string, string];
    const nearest = BigInt(mantissa.replace('.', ''));
    const power = Number(exponent) - (k - 1);
    for (const d of [nearest - 1n, nearest, nearest + 1n]) if (d > 0n && Math.fround(Number(`${d}e${power}`)) === a) return k;
  }
  return 10;
}

function check(x: number): void {
  const text = float32Text(x);
  expect(JSON_NUMBER.test(text), text).toBe(true);
  expect(Object.is(Math.fround(Number(text)), x), `${x} printed ${text}`).toBe(true);
  if (x !== 0) expect(significant(text), `${x} printed ${text}`).toBe(fewestDigits(x));
}

describe('float32Text: shortest text that reads back', () => {
  it('a sweep of all positive and negative float32 bit patterns', () => {
    for (let bits = 0; bits < 0x7f800000; bits += 39_989) {
      check(ofBits(bits));
      check(ofBits((bits | 0x80000000) >>> 0));
    }
  });

  it('every binade edge, subnormals, powers of ten and their neighbours', () => {
    for (let e = 0; e < 255; e++) for (const m of [0, 1, 2, 0x400000, 0x7ffffe, 0x7fffff]) check(ofBits((e << 23) | m));
    for (let bits = 1; bits < 3000; bits++) check(ofBits(bits));
    for (let k = -45; k <= 38; k++) {
      f[0] = Number(`1e${k}`);
      const bits = u[0]!;
      for (let d = -3; d <= 3; d++) if (bits + d > 0 && bits + d < 0x7f800000) check(ofBits(bits + d));
    }
    for (const [x, text] of [[0, '0'], [-0, '-0'], [0.1, '0.1'], [-2.5, '-2.5'], [1 / 3, '0.33333334'], [16777216, '16777216'], [1e-5, '1e-5'], [0.0001, '0.0001'], [3.4028234663852886e38, '3.4028235e+38'], [1e-45, '1e-45'], [1.5e16, '1.5e+16']] as const) {
      expect(float32Text(x)).toBe(text);
    }
  });

  it('NaN and infinity have no JSON text', () => {
    expect(() => float32Text(Number.NaN)).toThrow(RangeError);
    expect(() => float32Text(-Infinity)).toThrow(RangeError);
  });

  it('a JSON request carries FP32 data as the shortest texts and decodes to the same bits', () => {
    const values: number[] = [];
    for (let bits = 0; bits < 0x7f800000; bits += 1_000_003) values.push(ofBits(bits), -ofBits(bits));
    values.push(0.1, 1 / 3, 1e-40, 3e38);
    const x = new Tensor('float32', Float32Array.from(values), [values.length]);
    const { body, headers } = encodeInferRequest({ inputs: { x }, outputs: [], binary: false });
    expect(headers['inference-header-content-length']).toBeUndefined();
    const text = new TextDecoder().decode(body);
    const data = /"data":\[([^\]]*)\]/.exec(text)![1]!.split(',');
    expect(data).toEqual(Array.from(x.data, (v) => float32Text(v)));
    const back = decodeInferRequest(body, undefined).inputs['x']!.data as Float32Array;
    expect(new Uint32Array(back.buffer, back.byteOffset, back.length)).toEqual(new Uint32Array((x.data).buffer));
  });
});
