/**
 * `inproc bench`: several backends in one run, iterations and concurrency as asked, the
 * table and the JSON form. Timings are printed, never compared with thresholds.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { cnnModel } from '@inproc/testkit/onnx/cnn';
import { tfjsCnn } from '@inproc/testkit/tfjs/cnn';
import { writeFixture } from '@inproc/testkit/tfjs/builder';
import { OCR_DIR, inproc, tempDir, writeFiles } from './helpers.js';

interface BenchJson {
  iterations: number;
  warmup: number;
  concurrency: number;
  results: { backend: string; device: string; iterations: number; concurrency: number; p50: number; p90: number; p99: number; throughput: number; samples: number[]; loadMs: number; firstRunMs: number }[];
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('bench');
  await writeFiles(dir, { 'mlp.onnx': mlpModel(64), 'cnn.onnx': cnnModel({ size: 32 }) });
  await writeFixture(tfjsCnn({ size: 32 }), join(dir, 'cnn-tfjs'));
});

const silero = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');

describe('inproc bench', () => {
  it("--device fastest times devices on the command's own inputs (--dim, --input), and names the timing inputs when they cannot run", async () => {
    const env = { XDG_CACHE_HOME: dir };
    const bare = await inproc(['bench', silero, '--device', 'fastest', '--iterations', '2', '--warmup', '0'], { cwd: dir, env });
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('[RUN_FAILED]');
    expect(bare.stderr).toContain('the timing inputs (input float32 [1, 1], state float32 [2, 1, 128], sr int64 [])');
    const r = await inproc(['bench', silero, '--device', 'fastest', '--dim', 'input[1]=512', '--input', 'sr=16000', '--random', '--iterations', '4', '--warmup', '1', '--json'], { cwd: dir, env });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    // Only backends that have the device: onnx-web has no 'fastest'.
    const json = JSON.parse(r.stdout) as BenchJson;
    expect(json.results.map((row) => `${row.backend}:${row.device}`)).toEqual(['onnx-node:cpu']);
    expect(r.stderr).toContain('input float32 [1, 512]');
  });

  it('measures each listed backend and prints a table of percentiles and throughput', async () => {
    const r = await inproc(['bench', 'mlp.onnx', '--backends', 'onnx-node,onnx-web:wasm', '--iterations', '8', '--warmup', '2'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('mlp.onnx: 8 runs per backend after 2 warm-up runs, 1 concurrent caller(s)');
    expect(lines[1]).toMatch(/^backend\s+device\s+load\s+first run\s+p50\s+p90\s+p99\s+mean\s+runs\/s$/);
    expect(lines[2]).toMatch(/^onnx-node\s+cpu\s+[\d.]+ m?s/);
    expect(lines[3]).toMatch(/^onnx-web\s+wasm\s+[\d.]+ m?s/);
    expect(lines).toHaveLength(4);
    // Not a terminal: no progress bar, one line per backend on stderr.
    expect(r.stderr).toContain('bench: onnx-node ...');
    expect(r.stderr).toContain('bench: onnx-web:wasm ...');
    expect(r.stderr).not.toContain('\r');
  });

  it('gives every sample as JSON; iterations spread over concurrent callers', async () => {
    const r = await inproc(['bench', 'cnn.onnx', '--backends', 'onnx-node:cpu', '--iterations', '12', '--concurrency', '3', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as BenchJson;
    expect(out).toMatchObject({ iterations: 12, warmup: 5, concurrency: 3 });
    expect(out.results).toHaveLength(1);
    const [row] = out.results;
    expect(row).toMatchObject({ backend: 'onnx-node', device: 'cpu', iterations: 12, concurrency: 3 });
    expect(row!.samples).toHaveLength(12);
    expect(row!.samples.every((v) => v > 0)).toBe(true);
    expect(row!.p50).toBeLessThanOrEqual(row!.p90);
    expect(row!.p90).toBeLessThanOrEqual(row!.p99);
  });

  it('benchmarks every available backend of the format by default (TF.js for a model.json)', async () => {
    const r = await inproc(['bench', 'cnn-tfjs', '--iterations', '3', '--device', 'wasm', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as BenchJson;
    expect(out.results.map((x) => `${x.backend}:${x.device}`)).toEqual(['tfjs:wasm']);
  });

  it('benchmarks a real model on random inputs of the sizes given with --dim', async () => {
    const r = await inproc(['bench', join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), '--backends', 'onnx-node', '--iterations', '5', '--dim', 'p2o.DynamicDimension.1=48', '--dim', 'p2o.DynamicDimension.2=192']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('random inputs (seed 1): x float32 [1, 3, 48, 192]');
    expect(r.stdout).toMatch(/^onnx-node\s+cpu\s/m);
  });
});
