/**
 * The client's side of the protocol bodies (`@inproc/kserve`), checked against the
 * documented examples: the request it encodes for the examples' inputs, and the
 * documented responses (JSON, and binary with 24 bytes of FP32) decoded to tensors.
 * Bodies that are not valid responses are `RUN_FAILED`.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from 'inproc';
import { decodeInferRequest, decodeInferResponse, encodeInferRequest, encodeInferResponse, parseJson } from '@inproc/kserve';
import { alignmentPad } from '@inproc/kserve/protocol';
import { code } from '../helpers/errors.js';

const inputs = { input0: new Tensor('uint32', [1, 2, 3, 4], [2, 2]), input1: new Tensor('bool', [true, false, true], [3]) };
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('requests', () => {
  it('encodes the JSON request example (inference_rest.md) field for field', () => {
    const { body, headers } = encodeInferRequest({ inputs, outputs: [{ name: 'output0', binary: false }], binary: false, id: '42' });
    expect(headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(text(body))).toEqual({
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true, false, true] },
      ],
      outputs: [{ name: 'output0' }],
    });
  });

  it('encodes the binary request example (extension_binary_data.md): 16 + 3 bytes after the header', () => {
    const { body, headers } = encodeInferRequest({ inputs, outputs: [{ name: 'output0', binary: true }], binary: true });
    const n = Number(headers['inference-header-content-length']);
    expect(headers['content-type']).toBe('application/octet-stream');
    expect(body.byteLength).toBe(n + 19);
    expect(JSON.parse(text(body.subarray(0, n)))).toEqual({
      parameters: { binary_data_output: true },
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'output0' }],
    });
    expect([...new Uint32Array(body.slice(n, n + 16).buffer)]).toEqual([1, 2, 3, 4]);
    expect([...body.subarray(n + 16)]).toEqual([1, 0, 1]);
    // And the server's decoder reads it back.
    const decoded = decodeInferRequest(body, String(n));
    expect([...(decoded.inputs['input0']!.data as Uint32Array)]).toEqual([1, 2, 3, 4]);
    expect(decoded.binaryOutput).toBe(true);
  });

  it('keeps every digit of 64-bit integers in JSON, and sends what JSON cannot carry as binary', () => {
    const big = new Tensor('int64', [-(2n ** 63n), 2n ** 63n - 1n], [2]);
    const half = new Tensor('float16', [0x3c00], [1]);
    const nan = new Tensor('float32', [Number.NaN], [1]);
    const { body, headers } = encodeInferRequest({ inputs: { big, half, nan }, outputs: [], binary: false });
    const n = Number(headers['inference-header-content-length']);
    expect(text(body.subarray(0, n))).toContain('"data":[-9223372036854775808,9223372036854775807]');
    const back = decodeInferRequest(body, String(n));
    expect([...(back.inputs['big']!.data as BigInt64Array)]).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(back.inputs['half']!.dtype).toBe('float16');
    expect(Number.isNaN((back.inputs['nan']!.data as Float32Array)[0])).toBe(true);
    expect(parseJson('[12345678901234567890, 1.5, -3]', 'x', 'INPUT_INVALID')).toEqual([12345678901234567890n, 1.5, -3]);
  });

  it('round-trips BYTES of any UTF-8 text in binary and JSON', () => {
    for (const binary of [true, false]) {
      const strings = new Tensor('string', ['a b', '', 'ünï', '"\\\n🙂'], [2, 2]);
      const { body, headers } = encodeInferRequest({ inputs: { s: strings }, outputs: [], binary });
      const back = decodeInferRequest(body, headers['inference-header-content-length']);
      expect(back.inputs['s']!.data).toEqual(['a b', '', 'ünï', '"\\\n🙂']);
      expect(back.inputs['s']!.shape).toEqual([2, 2]);
    }
  });
});

describe('responses', () => {
  it('decodes the JSON response example (which has no model_name)', () => {
    const documented = '{ "id" : "42", "outputs" : [ { "name" : "output0", "shape" : [ 3, 2 ], "datatype" : "FP32", "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ] } ] }';
    const r = decodeInferResponse(new TextEncoder().encode(documented), null);
    expect(r.id).toBe('42');
    expect(r.outputs['output0']!.shape).toEqual([3, 2]);
    expect([...(r.outputs['output0']!.data as Float32Array)]).toEqual([1.0, 1.1, 2.0, 2.1, 3.0, 3.1].map(Math.fround));
  });

  it('decodes the binary response example: a header, then 24 bytes of FP32', () => {
    const header = new TextEncoder().encode('{ "outputs" : [ { "name" : "output0", "shape" : [ 3, 2 ], "datatype" : "FP32", "parameters" : { "binary_data_size" : 24 } } ] }');
    const body = new Uint8Array(header.byteLength + 24);
    body.set(header);
    body.set(new Uint8Array(new Float32Array([1, 1.5, 2, 2.5, 3, 3.5]).buffer), header.byteLength);
    const r = decodeInferResponse(body, String(header.byteLength));
    expect([...(r.outputs['output0']!.data as Float32Array)]).toEqual([1, 1.5, 2, 2.5, 3, 3.5]);
  });

  it('encodes what it decodes (server to client)', () => {
    const y = new Tensor('float32', [5, 7, 4, 6, 5, 7], [3, 2]);
    const { body, headers } = encodeInferResponse({ modelName: 'mymodel', modelVersion: '1', outputs: [{ name: 'output0', tensor: y, binary: true }] });
    const r = decodeInferResponse(body, headers['inference-header-content-length']);
    expect([r.modelName, r.modelVersion]).toEqual(['mymodel', '1']);
    expect([...(r.outputs['output0']!.data as Float32Array)]).toEqual([5, 7, 4, 6, 5, 7]);
  });

  it('refuses bodies that are not responses with RUN_FAILED', async () => {
    const bad = (s: string, h: string | null = null) => Promise.resolve().then(() => decodeInferResponse(new TextEncoder().encode(s), h));
    expect(await code(bad('<html>'))).toBe('RUN_FAILED');
    expect(await code(bad('{"outputs": 3}'))).toBe('RUN_FAILED');
    expect(await code(bad('{"outputs": [{"name": "y", "shape": [2], "datatype": "FP32", "data": [1]}]}'))).toBe('RUN_FAILED');
    expect(await code(bad('{"outputs": [{"name": "y", "shape": [1], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]}', '95'))).toBe('RUN_FAILED');
    expect(await code(bad('{"outputs": [{"name": "y", "shape": [1], "datatype": "BF16", "data": [1]}]}'))).toBe('RUN_FAILED');
  });
});

describe('received bodies', () => {
  it('are placed so that the binary part after a JSON header of any length starts at a multiple of 8', () => {
    for (let json = 1; json <= 40; json++) {
      const pad = alignmentPad(String(json), json + 24);
      expect(pad).toBeGreaterThanOrEqual(0);
      expect(pad).toBeLessThan(8);
      expect((pad + json) % 8).toBe(0);
      expect(alignmentPad([String(json), '3'], json + 24)).toBe(pad); // a repeated header: its first value, as the server reads it
    }
    // No usable header length: the body starts where its buffer does.
    for (const header of [undefined, null, '', '-8', '1e3', ' 8', '0x10', '12.0']) expect(alignmentPad(header, 100)).toBe(0);
    expect(alignmentPad('0', 100)).toBe(0); // all binary (nothing to skip)
    expect(alignmentPad('101', 100)).toBe(0); // longer than the body: the decoder refuses it, nothing to align
  });
});
