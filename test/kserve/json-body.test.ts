/**
 * JSON tensor data read straight from the body's bytes (`@inproc/kserve/protocol`):
 * every number form JSON allows, parsed exactly as `JSON.parse` would, into every dtype
 * with core's `Tensor` rules for types and ranges; malformed arrays, bad elements and
 * NUL in BYTES refused with `INPUT_INVALID` naming the input and element; nesting
 * limited (100,000-deep arrays are a 400, not a stack overflow); and the sliced decoder,
 * which gives the event loop turns while it reads a large body.
 */
import { describe, expect, it } from 'vitest';
import { InprocError, Tensor } from '@inproc/core';
import { decodeInferRequest, decodeInferRequestAsync, decodeInferResponse, encodeInferRequest } from '@inproc/kserve/protocol';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const request = (datatype: string, shape: number[], data: string): Uint8Array => enc(`{"inputs":[{"name":"x","datatype":"${datatype}","shape":${JSON.stringify(shape)},"data":${data}}]}`);
const decodeX = (datatype: string, shape: number[], data: string): Tensor => decodeInferRequest(request(datatype, shape, data), null).inputs['x']!;
function failure(run: () => unknown): InprocError {
  try {
    run();
  } catch (error) {
    if (InprocError.is(error)) return error;
    throw error;
  }
  throw new Error('did not throw');
}

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('numbers, exactly as JSON.parse reads them', () => {
  it('FP64 and FP32: 20,000 numbers in every notation, bit for bit', () => {
    const next = random(7);
    const texts: string[] = ['0', '-0', '1', '-1', '0.5', '1e0', '1E+2', '-2.5e-3', '123456789012345', '1234567890123456789', '0.1', '0.30000000000000004', '5e-324', '1.7976931348623157e308', '2.2250738585072014e-308', '9007199254740993', '1e22', '1e23', '0.000001', '4.35'];
    for (let i = 0; i < 20_000; i++) {
      const x = (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      const form = i % 4;
      texts.push(form === 0 ? String(x) : form === 1 ? x.toExponential(Math.floor(next() * 17)) : form === 2 ? x.toFixed(Math.floor(next() * 12)) : String(Math.fround(x)));
    }
    const data = `[${texts.join(',')}]`;
    const reference = JSON.parse(data) as number[];
    const f64 = decodeX('FP64', [texts.length], data).data as Float64Array;
    const f32 = decodeX('FP32', [texts.length], data).data as Float32Array;
    for (let i = 0; i < texts.length; i++) {
      expect(Object.is(f64[i], reference[i]), `${texts[i]}: ${f64[i]} vs ${reference[i]}`).toBe(true);
      expect(Object.is(f32[i], Math.fround(reference[i]!)), texts[i]).toBe(true);
    }
  });

  it('integers of every width, at their limits; 64-bit ones beyond 2^53 keep every digit', () => {
    expect([...(decodeX('INT8', [4], '[-128, 127, 0, 1.0]').data as Int8Array)]).toEqual([-128, 127, 0, 1]);
    expect([...(decodeX('UINT32', [2], '[4294967295, 1e3]').data as Uint32Array)]).toEqual([4294967295, 1000]);
    expect([...(decodeX('INT64', [5], '[-9223372036854775808, 9223372036854775807, -1, 9007199254740993, -5]').data as BigInt64Array)]).toEqual([
      -(2n ** 63n),
      2n ** 63n - 1n,
      -1n,
      9007199254740993n,
      -5n,
    ]);
    expect([...(decodeX('UINT64', [3], '[18446744073709551615, 0, 4294967296]').data as BigUint64Array)]).toEqual([2n ** 64n - 1n, 0n, 2n ** 32n]);
    expect([...(decodeX('BOOL', [4], '[true, false, 1, 0]').data as Uint8Array)]).toEqual([1, 0, 1, 0]);
  });

  it('nested arrays read row-major; whitespace anywhere', () => {
    const t = decodeX('INT32', [2, 3], ' [ [1 ,2,3] ,\n [4,5,\t6] ] ');
    expect(t.shape).toEqual([2, 3]);
    expect([...(t.data as Int32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decodeX('FP32', [0], '[]').size).toBe(0);
    expect(decodeX('FP32', [0], '[ [ ] ]').size).toBe(0);
  });

  it('what our own encoder writes decodes to the same tensors, JSON and binary alike', () => {
    const next = random(3);
    const inputs = {
      f: new Tensor('float32', Float32Array.from({ length: 1000 }, () => next() * 2 - 1), [10, 100]),
      d: new Tensor('float64', Float64Array.from({ length: 50 }, () => (next() - 0.5) * 1e300), [50]),
      i: new Tensor('int64', BigInt64Array.from({ length: 20 }, (_, k) => BigInt(Math.floor((next() - 0.5) * 2 ** 62)) * BigInt(k + 1)), [20]),
      u: new Tensor('uint16', Uint16Array.from({ length: 30 }, () => Math.floor(next() * 65536)), [30]),
      b: new Tensor('bool', [true, false, false, true], [4]),
    };
    for (const binary of [false, true]) {
      const { body, headers } = encodeInferRequest({ inputs, outputs: [], binary });
      const back = decodeInferRequest(body, headers['inference-header-content-length']).inputs;
      for (const [name, t] of Object.entries(inputs)) {
        expect(back[name]!.dtype).toBe(t.dtype);
        expect(back[name]!.shape).toEqual(t.shape);
        expect(back[name]!.data, name).toEqual(t.data);
      }
    }
  });
});

describe('bad data: INPUT_INVALID naming the input and element', () => {
  const cases: [string, number[], string, RegExp][] = [
    ['INT8', [2], '[1, 128]', /input "x": element 1 of a int8 tensor must be an integer in \[-128, 127\], got 128/],
    ['INT32', [2], '[1, 1.5]', /element 1 of a int32 tensor must be an integer/],
    ['UINT64', [1], '[-1]', /element 0 of a uint64 tensor/],
    ['INT64', [1], '[9223372036854775808]', /element 0 of a int64 tensor/],
    ['INT64', [1], '[1.5]', /element 0 of a int64 tensor/],
    ['FP32', [2], '[1, "2"]', /element 1 of a float32 tensor must be a number, got "2"/],
    ['FP32', [2], '[1, null]', /element 1 of a float32 tensor must be a number, got null/],
    ['FP32', [2], '[1, true]', /element 1 of a float32 tensor must be a number, got true/],
    ['BOOL', [1], '[2]', /element 0 of a bool tensor must be a boolean or 0\/1/],
    ['BYTES', [1], '[1]', /element 0 of a string tensor must be a string/],
    ['FP32', [3], '[1, 2]', /shape \[3\] holds 3 elements, but "data" has 2/],
    ['FP32', [1], '[1, 2]', /shape \[1\] holds 1 elements, but "data" has more/],
    ['FP32', [2], '[1,,2]', /"data" is not a JSON array of numbers/],
    ['FP32', [1], '[1,]', /"data" is not a JSON array/],
    ['FP32', [2], '[1 2]', /"data" is not a JSON array/],
    ['FP32', [1], '[01]', /"data" is not a JSON array/],
    ['FP32', [1], '[1.]', /"data" is not a JSON array/],
    ['FP32', [1], '[-]', /"data" is not a JSON array/],
    ['FP32', [1], '[NaN]', /"data" is not a JSON array/],
    ['FP16', [1], '[1]', /FP16 data cannot be sent as JSON/],
    ['FP32', [1], '5', /"data" must be an array, got number 5/],
    // Refused before 8 GB of storage is allocated for it.
    ['INT64', [1_000_000_000], '[1]', /shape \[1000000000\] holds 1000000000 elements, but "data" is 3 bytes of JSON/],
  ];
  it.each(cases)('%s %j %s', (datatype, shape, data, message) => {
    const e = failure(() => decodeX(datatype, shape, data));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(message);
  });

  it('a response with bad data is RUN_FAILED (the server is at fault)', () => {
    const e = failure(() => decodeInferResponse(enc('{"outputs":[{"name":"y","datatype":"INT8","shape":[1],"data":[300]}]}'), null));
    expect(e.code).toBe('RUN_FAILED');
    expect(e.message).toMatch(/output "y": element 0 of a int8 tensor/);
  });
});

describe('BYTES are UTF-8 text without NUL', () => {
  it('an element holding NUL is refused in binary and in JSON, naming the input and the element', () => {
    const binary = encodeInferRequest({ inputs: { s: new Tensor('string', ['ok', 'he\u0000llo'], [2]) }, outputs: [], binary: true });
    const e1 = failure(() => decodeInferRequest(binary.body, binary.headers['inference-header-content-length']));
    expect(e1.code).toBe('INPUT_INVALID');
    expect(e1.message).toMatch(/input "s": BYTES element 1 holds a NUL.*UTF-8 text without NUL/);
    const e2 = failure(() => decodeInferRequest(enc('{"inputs":[{"name":"s","datatype":"BYTES","shape":[2],"data":["ok","he\\u0000llo"]}]}'), null));
    expect(e2.code).toBe('INPUT_INVALID');
    expect(e2.message).toMatch(/input "s": BYTES element 1 holds a NUL/);
  });

  it('an element that is not UTF-8 is refused', () => {
    const header = enc('{"inputs":[{"name":"s","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]}');
    const body = new Uint8Array([...header, 2, 0, 0, 0, 0xc3, 0x28]);
    const e = failure(() => decodeInferRequest(body, String(header.byteLength)));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/input "s": BYTES element 0 is not UTF-8 text/);
  });
});

describe('nesting and size limits', () => {
  it('100,000-deep arrays, in data or elsewhere, are INPUT_INVALID, not a stack overflow', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    for (const body of [request('FP32', [1], deep), enc(`{"parameters":{"p":${deep}},"inputs":[]}`), enc(deep)]) {
      const e = failure(() => decodeInferRequest(body, null));
      expect(e.code).toBe('INPUT_INVALID');
      expect(e.message).toMatch(/nests arrays and objects more than 64 deep/);
    }
    const e = failure(() => decodeInferResponse(enc(`{"outputs":${deep}}`), null));
    expect(e.code).toBe('RUN_FAILED');
  });

  it('more than 4 MiB of JSON outside tensor data is refused', () => {
    const e = failure(() => decodeInferRequest(enc(`{"parameters":{"p":"${'a'.repeat(5 * 1024 * 1024)}"},"inputs":[]}`), null));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/more than 4194304 bytes of JSON outside tensor data/);
  });

  it('strings that hold brackets, quotes and escapes do not confuse the scan', () => {
    const r = decodeInferRequest(enc('{"id":"[[{\\"data\\":[","inputs":[{"name":"a]\\\\","datatype":"BYTES","shape":[2],"data":["]\\"[", "{\\\\"]}]}'), null);
    expect(r.id).toBe('[[{"data":[');
    expect(r.inputs['a]\\']!.data).toEqual([']"[', '{\\']);
  });
});

describe('decoding in slices', () => {
  it('a 17 MiB JSON body decodes to the same tensor as at once, and the event loop runs meanwhile', async () => {
    const n = 1_800_000;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
    const { body } = encodeInferRequest({ inputs: { x: new Tensor('float32', data, [n]) }, outputs: [], binary: false });
    expect(body.byteLength).toBeGreaterThan(16 * 1024 * 1024);
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const sliced = await decodeInferRequestAsync(body, null, undefined, { sliceMs: 2 });
      expect(turns).toBeGreaterThan(1);
      const got = sliced.inputs['x']!.data as Float32Array;
      expect(got.length).toBe(n);
      let same = 0;
      for (let i = 0; i < n; i++) if (Object.is(got[i], data[i])) same++;
      expect(same).toBe(n);
    } finally {
      clearInterval(timer);
    }
    const deep = decodeInferRequestAsync(request('FP32', [1], `${'['.repeat(100_000)}1${']'.repeat(100_000)}`), null);
    await expect(deep).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/more than 64 deep/) });
  });
});
