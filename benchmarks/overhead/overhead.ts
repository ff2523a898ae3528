/**
 * Overhead of Inproc's `Model.run` over a raw onnxruntime-node session, on the same
 * model in the same process, interleaved so that machine noise hits both alike.
 *
 *   npm run overhead -w benchmarks [-- --quick] [-- --batch 8 --size 256]
 *
 * Prints per-run time of each (median of blocks) and the ratio inproc / raw.
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Tensor, loadModel } from 'inproc';
import { mlpModel } from '../../test/fixtures/onnx/models.js';
import { machine } from '../lib/environment.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, batch: { type: 'string', default: '8' }, size: { type: 'string', default: '256' }, json: { type: 'boolean', default: false } } });
const batch = Number(values.batch);
const size = Number(values.size);
const rounds = values.quick ? 30 : 400;
const perBlock = 20;

const bytes = mlpModel(size);
const x = new Float32Array(batch * size).map((_, i) => Math.sin(i));

// Same session options on both sides: ORT's defaults, and the CPU provider.
const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
const model = await loadModel(bytes, { backend: 'onnx-node', device: 'cpu' });

async function rawRun(): Promise<number> {
  const out = await raw.run({ x: new ort.Tensor('float32', x, [batch, size]) });
  return (out['y']!.data as Float32Array)[0]!;
}
async function inprocRun(): Promise<number> {
  const out = await model.run({ x: new Tensor('float32', x, [batch, size]) });
  return (out['y']!.data as Float32Array)[0]!;
}

async function block(fn: () => Promise<number>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < perBlock; i++) await fn();
  return ((performance.now() - start) / perBlock) * 1000; // µs per run
}

if ((await rawRun()) !== (await inprocRun())) throw new Error('raw and Inproc outputs differ');
for (let i = 0; i < 3; i++) {
  await block(rawRun);
  await block(inprocRun);
}
const rawTimes: number[] = [];
const inprocTimes: number[] = [];
// Each round's pair of blocks ran seconds apart at most, under the same machine load:
// the median of the per-round ratios is robust to load that comes and goes.
const pairRatios: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always runs on a warmer cache.
  if (r % 2 === 0) {
    rawTimes.push(await block(rawRun));
    inprocTimes.push(await block(inprocRun));
  } else {
    inprocTimes.push(await block(inprocRun));
    rawTimes.push(await block(rawRun));
  }
  pairRatios.push(inprocTimes.at(-1)! / rawTimes.at(-1)!);
}
const rawSummary = summarize(rawTimes);
const inprocSummary = summarize(inprocTimes);
const result = {
  suite: 'overhead',
  model: `MLP ${size}x${size}, batch ${batch}`,
  runs: rounds * perBlock,
  rawMicros: rawSummary,
  inprocMicros: inprocSummary,
  ratio: summarize(pairRatios).p50,
  ratioP50: inprocSummary.p50 / rawSummary.p50,
  ratioMin: inprocSummary.min / rawSummary.min,
  machine: { ...machine(), onnxruntime: ort.env.versions.common },
};
await model.dispose();
await raw.release();

const markdown = [
  `### Overhead of Model.run over raw onnxruntime-node`,
  '',
  `${result.model}, ${result.runs} runs each, interleaved in blocks of ${perBlock}.`,
  '',
  '| | p50 µs/run | mean µs/run |',
  '|---|---:|---:|',
  `| raw onnxruntime-node | ${rawSummary.p50.toFixed(1)} | ${rawSummary.mean.toFixed(1)} |`,
  `| inproc Model.run | ${inprocSummary.p50.toFixed(1)} | ${inprocSummary.mean.toFixed(1)} |`,
  '',
  `Ratio inproc / raw: ${result.ratio.toFixed(3)} (median of paired blocks); ${result.ratioP50.toFixed(3)} (p50 / p50), ${result.ratioMin.toFixed(3)} (best / best).`,
  '',
].join('\n');
if (values.json) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
