import { describe, expect, it } from 'vitest';
import { sniffFormat } from '@inproc/core';
import { readOnnxMetadata } from '@inproc/core/backend';
import { mlpModel } from '@inproc/testkit/onnx/models';

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('sniffFormat', () => {
  it('recognises ONNX protobuf from the bytes alone', () => {
    expect(sniffFormat(mlpModel(8))).toBe('onnx');
  });

  it('recognises TF.js graph and layers model.json', () => {
    expect(sniffFormat(json({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }))).toBe('tfjs-graph');
    expect(sniffFormat(json({ modelTopology: { node: [] }, weightsManifest: [] }))).toBe('tfjs-graph');
    expect(sniffFormat(json({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }))).toBe('tfjs-layers');
    expect(sniffFormat(json({ modelTopology: { class_name: 'Sequential', config: {} }, weightsManifest: [] }))).toBe('tfjs-layers');
    expect(sniffFormat(new TextEncoder().encode(`\uFEFF  \n${JSON.stringify({ format: 'graph-model' })}`))).toBe('tfjs-graph');
  });

  it('does not mistake other bytes for a model', () => {
    expect(sniffFormat(json({ hello: 'world' }))).toBeUndefined();
    expect(sniffFormat(new TextEncoder().encode('{ not json'))).toBeUndefined();
    expect(sniffFormat(new TextEncoder().encode('GIF89a...'))).toBeUndefined();
    expect(sniffFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
    expect(sniffFormat(new Uint8Array([0x08]))).toBeUndefined(); // truncated varint
    const truncated = mlpModel(8).subarray(0, 100);
    expect(sniffFormat(truncated)).toBeUndefined();
    expect(sniffFormat(new Uint8Array(0))).toBeUndefined();
  });

  it('falls back to the .onnx extension for bytes it cannot walk', () => {
    expect(sniffFormat(mlpModel(8).subarray(0, 100), '/models/x.onnx')).toBe('onnx');
    expect(sniffFormat(new Uint8Array([1, 2]), 'https://example.test/x.ONNX?v=2')).toBe('onnx');
  });
});

describe('readOnnxMetadata', () => {
  it('reads producer, IR version and opsets without parsing the graph', () => {
    expect(readOnnxMetadata(mlpModel(8))).toEqual({ irVersion: 8, producerName: 'inproc-tests-mlp', producerVersion: '1', opsets: { '': 17 }, properties: {} });
    expect(readOnnxMetadata(new Uint8Array([0x0a, 0xff]))).toBeUndefined();
  });
});
