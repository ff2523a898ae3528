/**
 * `inproc run`: inputs from .npy, JSON files, inline JSON, images (@inproc/image) and WAV
 * audio (@inproc/audio), random inputs, dtype conversion, `--outputs`, and the numbers it
 * prints checked against reference implementations and against the other model format.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlpModel, mlpReference, multiIoModel, rowSumModel } from '@inproc/testkit/onnx/models';
import { cnnModel } from '@inproc/testkit/onnx/cnn';
import { tfjsCnn } from '@inproc/testkit/tfjs/cnn';
import { nchwToNhwc } from '@inproc/testkit/cnn-weights';
import { writeFixture } from '@inproc/testkit/tfjs/builder';
import { humanModel, samplePhoto } from '@inproc/testkit/human-models';
import { OCR_DIR, VAD_FILE, type RunJson, flat, inproc, npy, tempDir, wav, writeFiles } from './helpers.js';

const SIZE = 64;
let dir: string;
const x = new Float32Array(2 * SIZE).map((_, i) => Math.sin(i * 0.3));
/** 32x32 RGB pixels of a test image, row-major RGB. */
const pixels = new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37 + (i % 3) * 80) % 256);
const samples = new Float32Array(300).map((_, i) => 0.5 * Math.sin(i * 0.05));

beforeAll(async () => {
  dir = await tempDir('run');
  const image = new Float32Array(3 * 32 * 32).map((_, i) => Math.cos(i * 0.01) * 0.5 + 0.5);
  await writeFiles(dir, {
    'mlp.onnx': mlpModel(SIZE),
    'multi.onnx': multiIoModel(),
    'rowsum.onnx': rowSumModel(),
    'cnn.onnx': cnnModel({ size: 32 }),
    'x.npy': npy(x, [2, SIZE]),
    'x64.npy': npy(Float64Array.from(x), [2, SIZE]),
    'image.npy': npy(image, [1, 3, 32, 32]),
    'image-nhwc.npy': npy(nchwToNhwc(image, 1, 3, 32, 32), [1, 32, 32, 3]),
    'a.json': JSON.stringify({ dtype: 'float32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }),
    'clip.wav': wav(samples, 16000),
    'pattern.png': await sharp(Buffer.from(pixels), { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer(),
  });
  await writeFixture(tfjsCnn({ size: 32 }), join(dir, 'cnn-tfjs'));
});

async function runJson(args: readonly string[]): Promise<RunJson> {
  const r = await inproc(['run', ...args, '--json'], { cwd: dir });
  expect(r.stderr.replace(/^note: .*\n/gm, '')).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RunJson;
}

describe('inproc run', () => {
  it('runs on a .npy input and prints a summary of each output', async () => {
    const r = await inproc(['run', 'mlp.onnx', '--input', 'x=x.npy'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mlp\.onnx: onnx on onnx-node \(cpu\); load .* run /);
    expect(r.stdout).toMatch(/x\s+float32 \[2, 64\]\s+declared \[batch, 64\]\s+x\.npy/);
    expect(r.stdout).toMatch(/y {2}float32 \[2, 64\]\n {2}min -?\d.* max .* mean /);
  });

  it('gives every output value with --json, equal to the reference MLP', async () => {
    const out = await runJson(['mlp.onnx', '--input', 'x=x.npy']);
    expect(out.outputs['y']!.shape).toEqual([2, SIZE]);
    const y = flat(out.outputs['y']!.data);
    const reference = mlpReference(x, 2, SIZE);
    expect(Math.max(...y.map((v, i) => Math.abs(v - reference[i]!)))).toBeLessThan(1e-4);
  });

  it('converts float64 .npy data (NumPy\'s default) to the float32 input, saying so', async () => {
    const r = await inproc(['run', 'mlp.onnx', '--input', 'x64.npy', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: input "x": x64.npy holds float64, converted to the model\'s float32');
    const y = flat((JSON.parse(r.stdout) as RunJson).outputs['y']!.data);
    expect(Math.abs(y[5]! - mlpReference(x, 2, SIZE)[5]!)).toBeLessThan(1e-4);
  });

  it('takes a JSON file, inline JSON arrays and scalars; int64 and bool outputs come back as JSON numbers and booleans', async () => {
    const out = await runJson(['multi.onnx', '--input', 'a=a.json', '--input', 'ids=[[1,2,3],[40,50,60]]', '--input', 'mask=[[true,false,true],[false,false,true]]']);
    expect(out.outputs['sum']).toEqual({ dtype: 'float32', shape: [2, 4], data: [[2, 4, 6, 8], [10, 12, 14, 16]] });
    expect(out.outputs['next']).toEqual({ dtype: 'int64', shape: [2, 3], data: [[2, 3, 4], [41, 51, 61]] });
    expect(out.outputs['inverted']).toEqual({ dtype: 'bool', shape: [2, 3], data: [[false, true, false], [true, true, false]] });
  });

  it('computes only the outputs named with --outputs', async () => {
    const out = await runJson(['multi.onnx', '--input', 'a=a.json', '--input', 'ids=[[1,2,3],[4,5,6]]', '--input', 'mask=[[true,true,true],[true,true,true]]', '--outputs', 'next']);
    expect(Object.keys(out.outputs)).toEqual(['next']);
  });

  it('fills inputs with seeded random data when none is given, symbolic dimensions from --dim', async () => {
    const r = await inproc(['run', 'mlp.onnx', '--dim', 'batch=3', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: random inputs (seed 1): x float32 [3, 64]');
    const first = JSON.parse(r.stdout) as RunJson;
    expect(first.outputs['y']!.shape).toEqual([3, SIZE]);
    const again = await runJson(['mlp.onnx', '--dim', 'batch=3']);
    expect(again.outputs['y']!.data).toEqual(first.outputs['y']!.data);
    const other = await runJson(['mlp.onnx', '--dim', 'batch=3', '--seed', '2']);
    expect(other.outputs['y']!.data).not.toEqual(first.outputs['y']!.data);
  });

  it('gives the same logits for the CNN as ONNX (NCHW) and as TF.js (NHWC) on the same pixels', async () => {
    const onnx = await runJson(['cnn.onnx', '--input', 'image.npy']);
    const tfjs = await runJson(['cnn-tfjs', '--input', 'image-nhwc.npy', '--device', 'wasm']);
    expect(onnx.backend).toBe('onnx-node');
    expect(tfjs.backend).toBe('tfjs');
    const a = flat(onnx.outputs['y']!.data);
    const b = flat(tfjs.outputs['y']!.data);
    expect(a).toHaveLength(10);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-4);
  });

  it('reads an image into an NCHW float input, scaled to [0, 1] (same result as the pixels as .npy)', async () => {
    const nchw = new Float32Array(3 * 32 * 32);
    for (let i = 0; i < 32 * 32; i++) for (let c = 0; c < 3; c++) nchw[c * 32 * 32 + i] = pixels[i * 3 + c]! / 255;
    await writeFiles(dir, { 'pattern.npy': npy(nchw, [1, 3, 32, 32]) });
    const r = await inproc(['run', 'cnn.onnx', '--input', 'pattern.png'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/x\s+float32 \[1, 3, 32, 32\].*image .*pattern\.png \(32x32 -> 32x32, NCHW, scaled to \[0, 1\]\)/);
    const fromImage = flat((await runJson(['cnn.onnx', '--input', 'pattern.png'])).outputs['y']!.data);
    const fromNpy = flat((await runJson(['cnn.onnx', '--input', 'pattern.npy'])).outputs['y']!.data);
    expect(Math.max(...fromImage.map((v, i) => Math.abs(v - fromNpy[i]!)))).toBeLessThan(1e-5);
  });

  it('labels an image input with the normalisation --mean and --std applied after the scaling', async () => {
    const r = await inproc(['run', 'cnn.onnx', '--input', 'pattern.png', '--mean', '0.5,0.5,0.5', '--std', '0.25,0.25,0.25'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pattern\.png \(32x32 -> 32x32, NCHW, scaled to \[0, 1\], minus mean 0\.5, 0\.5, 0\.5, divided by std 0\.25, 0\.25, 0\.25\)/);
  });

  it('reads a WAV file into a [1, n] input', async () => {
    const out = await runJson(['rowsum.onnx', '--input', 'x=clip.wav']);
    expect(out.outputs['z']!.shape).toEqual([1, 300]);
    const expected = samples.reduce((a, b) => a + b, 0);
    // 16-bit quantisation: each sample within 1/32767 of the original.
    expect(Math.abs(flat(out.outputs['y']!.data)[0]! - expected)).toBeLessThan(300 / 32767);
  });

  it('runs the real PP-OCR direction classifier on random input: two class probabilities summing to 1, top class shown', async () => {
    const r = await inproc(['run', join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), '--dim', 'p2o.DynamicDimension.0=1', '--dim', 'p2o.DynamicDimension.1=48', '--dim', 'p2o.DynamicDimension.2=192']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('random inputs (seed 1): x float32 [1, 3, 48, 192]');
    expect(r.stderr).not.toContain('set dynamic dimensions');
    expect(r.stdout).toMatch(/softmax_0\.tmp_0 {2}float32 \[1, 2\]/);
    expect(r.stdout).toMatch(/top: #[01] 0\.\d+, #[01] 0\.\d+/);
    const out = await runJson([join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), '--dim', 'p2o.DynamicDimension.1=48', '--dim', 'p2o.DynamicDimension.2=192']);
    const p = flat(out.outputs['softmax_0.tmp_0']!.data);
    expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
  });

  it('sets unnamed dynamic dimensions with --dim input[axis]=size (Silero VAD on 512 random samples)', async () => {
    // Silero declares input [?, ?] and state [2, ?, 128]: no names to give --dim name=size.
    const unset = await inproc(['run', VAD_FILE, '--random', '--input', 'sr=16000']);
    expect(unset.stderr).toContain('random inputs (seed 1): input float32 [1, 1], state float32 [2, 1, 128] — 1 for input[1], state[1]; set dynamic dimensions with --dim name=size (symbolic) or --dim input[axis]=size');
    const r = await inproc(['run', VAD_FILE, '--input', 'sr=16000', '--random', '--dim', 'input[1]=512', '--dim', 'state[1]=1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('random inputs (seed 1): input float32 [1, 512], state float32 [2, 1, 128]\n');
    expect(r.stderr).not.toContain('set dynamic dimensions');
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.outputs['output']!.shape).toEqual([1, 1]);
    expect(out.outputs['stateN']!.shape).toEqual([2, 1, 128]);
  });

  it('runs a real TF.js model on a real photo (emotion classifier, 7 probabilities)', async () => {
    const out = await runJson([await humanModel('emotion'), '--input', await samplePhoto('sample1'), '--device', 'wasm']);
    expect(out.backend).toBe('tfjs');
    expect(out.outputs['Identity']!.shape).toEqual([1, 7]);
    const p = flat(out.outputs['Identity']!.data);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // TF.js's CPU engine in Node prints an "install our node backend" banner on first use;
    // runJson asserts stderr holds nothing but notes, so it must not appear.
    const cpu = await runJson([await humanModel('emotion'), '--input', await samplePhoto('sample1'), '--device', 'cpu']);
    expect(cpu.device).toBe('cpu');
    const q = flat(cpu.outputs['Identity']!.data);
    p.forEach((v, i) => expect(q[i]).toBeCloseTo(v, 4));
  });
});
