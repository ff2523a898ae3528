/**
 * The protocol's one home, `@inproc/kserve/protocol`: each table read both ways
 * (datatypes, Triton data types, platforms, error codes and statuses), model metadata
 * built from neutral facts and read back into the same signature, and Triton's model
 * configuration, whose JSON form and `config.pbtxt` text come from one object.
 */
import { describe, expect, it } from 'vitest';
import { type DType, ErrorCodes, type Signature } from '@inproc/core';
import * as main from '@inproc/kserve';
import {
  DATATYPES,
  DIMS_PARAMETER,
  codeOfStatus,
  datatypeOf,
  dtypeOf,
  formatOf,
  modelMetadata,
  platformOf,
  readErrorBody,
  signatureOf,
  statusOf,
  tritonConfig,
  tritonDataTypeOf,
} from '@inproc/kserve/protocol';

const DTYPES: DType[] = ['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string'];

describe('tables', () => {
  it('datatypes: every dtype to a protocol datatype and back, and to Triton\'s TYPE_ names', () => {
    expect(DTYPES.map((d) => datatypeOf(d))).toEqual(['FP32', 'FP16', 'FP64', 'INT8', 'UINT8', 'INT16', 'UINT16', 'INT32', 'UINT32', 'INT64', 'UINT64', 'BOOL', 'BYTES']);
    for (const d of DTYPES) expect(dtypeOf(datatypeOf(d))).toBe(d);
    expect([...DATATYPES].sort()).toEqual(DTYPES.map((d) => datatypeOf(d)).sort());
    expect(tritonDataTypeOf('string')).toBe('TYPE_STRING');
    expect(tritonDataTypeOf('float16')).toBe('TYPE_FP16');
    for (const d of DTYPES.filter((x) => x !== 'string')) expect(tritonDataTypeOf(d)).toBe(`TYPE_${datatypeOf(d)}`);
    for (const bad of ['BF16', 'fp32', 'constructor', '__proto__', 42, undefined]) expect(dtypeOf(bad)).toBeUndefined();
  });

  it('platforms: each format to its platform and back; unknown platforms have no format', () => {
    expect(platformOf('onnx')).toBe('onnxruntime_onnx');
    expect(platformOf('tfjs-graph')).toBe('tensorflowjs_graph');
    expect(platformOf('tfjs-layers')).toBe('tensorflowjs_layers');
    for (const f of ['onnx', 'tfjs-graph', 'tfjs-layers'] as const) expect(formatOf(platformOf(f))).toBe(f);
    expect(formatOf('onnx')).toBe('onnx');
    for (const p of ['tensorrt_plan', 'pytorch_libtorch', 'toString', '']) expect(formatOf(p)).toBeUndefined();
  });

  it('statuses: every error code has one, and the client reads each back to a code of the same class', () => {
    for (const c of ErrorCodes) {
      const status = statusOf(c);
      expect(status, c).toBeGreaterThanOrEqual(400);
      // A body without a code: the status alone gives a code the server could have meant.
      expect(statusOf(codeOfStatus(status, 'run')), c).toBe(status === 499 ? 499 : status);
    }
    expect(statusOf('INPUT_INVALID')).toBe(400);
    expect(statusOf('QUEUE_FULL')).toBe(503);
    expect(codeOfStatus(400, 'load')).toBe('MODEL_NOT_FOUND'); // Triton: unknown model is a 400
    expect(codeOfStatus(403, 'load')).toBe('BACKEND_UNAVAILABLE');
    expect(codeOfStatus(413, 'run')).toBe('LIMIT_EXCEEDED');
    expect(readErrorBody('{"error":"no","code":"INPUT_SHAPE"}')).toEqual({ message: 'no', code: 'INPUT_SHAPE' });
    expect(readErrorBody('{"error":"no","code":"NOT_A_CODE"}')).toEqual({ message: 'no', code: undefined });
    expect(readErrorBody('  plain text ')).toEqual({ message: 'plain text', code: undefined });
  });

  it('the main entry re-exports the protocol', () => {
    expect(main.modelMetadata).toBe(modelMetadata);
    expect(main.tritonConfig).toBe(tritonConfig);
  });
});

const signature: Signature = {
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 3, null] },
    { name: 'mask', dtype: 'bool', shape: [] },
  ],
  outputs: [
    { name: 'y', dtype: 'int64', shape: ['batch', 2] },
    { name: 'z', dtype: 'string', shape: [], unknownRank: true },
  ],
};

describe('model metadata', () => {
  it('is built from neutral facts: versions as strings, platform, -1 for variable dimensions, named ones in inproc_dims, manifest metadata as parameters', () => {
    const metadata = modelMetadata({ name: 'm', versions: [1, 3], format: 'onnx', signature, description: 'adds', metadata: { owner: 'a' } });
    expect(metadata).toEqual({
      name: 'm',
      versions: ['1', '3'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, 3, -1], parameters: { [DIMS_PARAMETER]: '["batch",3,null]' } },
        { name: 'mask', datatype: 'BOOL', shape: [] },
      ],
      outputs: [
        { name: 'y', datatype: 'INT64', shape: [-1, 2], parameters: { [DIMS_PARAMETER]: '["batch",2]' } },
        { name: 'z', datatype: 'BYTES', shape: [-1] },
      ],
      parameters: { description: 'adds', owner: 'a' },
    });
    expect(modelMetadata({ name: 'm', versions: [1], format: 'tfjs-graph', signature })).not.toHaveProperty('parameters');
  });

  it('reads back into the same signature (named dimensions kept; an unknown rank is one dynamic dimension)', () => {
    const back = signatureOf(JSON.parse(JSON.stringify(modelMetadata({ name: 'm', versions: [1], format: 'onnx', signature }))), 'here').signature;
    expect(back.inputs).toEqual(signature.inputs);
    expect(back.outputs).toEqual([signature.outputs[0], { name: 'z', dtype: 'string', shape: [null] }]);
  });
});

describe("Triton's model configuration", () => {
  const batched: Signature = { inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 64] }], outputs: [{ name: 'y', dtype: 'float16', shape: ['batch'] }] };

  it('gives the JSON form (field names of model_config.proto, numbers as numbers) and the text form of one object', () => {
    const { config, text, maxBatchSize, note } = tritonConfig({
      name: 'mlp',
      signature: batched,
      batching: { maxBatchSize: 32, maxDelayMs: 2, preferredSizes: [8, 16] },
      instances: 2,
      kind: 'KIND_CPU',
      versions: [1, 2],
      modelFile: 'net.onnx',
    });
    expect(maxBatchSize).toBe(32);
    expect(note).toBeUndefined();
    expect(config).toEqual({
      name: 'mlp',
      platform: 'onnxruntime_onnx',
      max_batch_size: 32,
      version_policy: { all: {} },
      default_model_filename: 'net.onnx',
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [64] }],
      output: [{ name: 'y', data_type: 'TYPE_FP16', dims: [1], reshape: { shape: [] } }],
      dynamic_batching: { preferred_batch_size: [8, 16], max_queue_delay_microseconds: 2000 },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }],
    });
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'name: "mlp"',
      'platform: "onnxruntime_onnx"',
      'max_batch_size: 32',
      'version_policy: { all { } }',
      'default_model_filename: "net.onnx"',
      'input [',
      '  {',
      '    name: "x"',
      '    data_type: TYPE_FP32',
      '    dims: [ 64 ]',
      '  }',
      ']',
      'output [',
      '  {',
      '    name: "y"',
      '    data_type: TYPE_FP16',
      '    dims: [ 1 ]',
      '    reshape: { shape: [ ] }',
      '  }',
      ']',
      'dynamic_batching {',
      '  preferred_batch_size: [ 8, 16 ]',
      '  max_queue_delay_microseconds: 2000',
      '}',
      'instance_group [',
      '  {',
      '    count: 2',
      '    kind: KIND_CPU',
      '  }',
      ']',
      '',
    ]);
  });

  it('leaves batching off (with a note) when a tensor has a fixed first dimension, and names the platform of the format', () => {
    const fixed: Signature = { inputs: [{ name: 'x', dtype: 'uint8', shape: [4] }], outputs: [{ name: 'we"ird\n', dtype: 'string', shape: [null] }] };
    const { config, text, note } = tritonConfig({ name: 'g', format: 'tfjs-graph', signature: fixed, batching: { maxBatchSize: 8, maxDelayMs: 1 }, instances: 1, kind: 'KIND_AUTO', versions: [1] });
    expect(note).toBe('batching left off: "x" has a fixed first dimension 4');
    expect(config.max_batch_size).toBe(0);
    expect(config.platform).toBe('tensorflowjs_graph');
    expect(config).not.toHaveProperty('dynamic_batching');
    expect(config.output).toEqual([{ name: 'we"ird\n', data_type: 'TYPE_STRING', dims: [-1] }]);
    expect(text).toContain('name: "we\\"ird\\n"');
  });
});
