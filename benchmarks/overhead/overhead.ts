/**
 * Overhead of Inproc's `Model.run` over a raw onnxruntime-node session, on the same
 * model in the same process, interleaved so that machine noise hits both alike. Two
 * cases: the 256x256 MLP (batch 8, tens of microseconds a run, where any per-call cost
 * shows) and Silero VAD v5 (three inputs, two outputs, a recurrent state: a real model
 * that runs in a few hundred microseconds). Each side builds its input tensors per call,
 * as an application does; Inproc's side includes the validation snapshot of its feeds.
 *
 *   npm run overhead -w benchmarks [-- --quick] [-- --batch 8 --size 256]
 *
 * Prints per-run time of each (median of blocks) and the ratio inproc / raw: the median
 * of per-round ratios of paired blocks (robust to load that comes and goes).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { type Outputs, Tensor, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, batch: { type: 'string', default: '8' }, size: { type: 'string', default: '256' }, json: { type: 'boolean', default: false } } });
const batch = Number(values.batch);
const size = Number(values.size);
const rounds = values.quick ? 30 : 400;
const perBlock = 20;

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** One call's feeds, built per call, for raw onnxruntime-node. */
  readonly rawFeeds: () => Record<string, ort.Tensor>;
  /** The same feeds as Inproc tensors. */
  readonly feeds: () => Record<string, Tensor>;
  readonly output: string;
}

const x = new Float32Array(batch * size).map((_, i) => Math.sin(i));
const mlp: Case = {
  name: `MLP ${size}x${size}, batch ${batch}`,
  bytes: mlpModel(size),
  rawFeeds: () => ({ x: new ort.Tensor('float32', x, [batch, size]) }),
  feeds: () => ({ x: new Tensor('float32', x, [batch, size]) }),
  output: 'y',
};

const vadFile = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
const frame = new Float32Array(512).map((_, i) => 0.3 * Math.sin(i / 5));
const state = new Float32Array(2 * 128);
const sr = new BigInt64Array([16000n]);
const vad: Case = {
  name: 'Silero VAD v5, one 512-sample frame',
  bytes: new Uint8Array(await readFile(vadFile)),
  rawFeeds: () => ({ input: new ort.Tensor('float32', frame, [1, 512]), state: new ort.Tensor('float32', state, [2, 1, 128]), sr: new ort.Tensor('int64', sr, []) }),
  feeds: () => ({ input: new Tensor('float32', frame, [1, 512]), state: new Tensor('float32', state, [2, 1, 128]), sr: new Tensor('int64', sr, []) }),
  output: 'output',
};

/**
 * Session options of both sides: ORT's defaults, the CPU provider, and one intra-op thread.
 * One thread because what is measured is the per-call cost around a run: with a thread pool
 * per session, two sessions of the same model differ by a few percent on a small machine
 * depending on which was created first (their pools compete for the cores), which is not
 * Inproc's doing. Pairs are made in both orders for the same reason (see below).
 */
const SESSION_OPTIONS = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

async function measure(c: Case): Promise<Record<string, unknown>> {
  // Two pairs, created raw-first and Inproc-first: a session's place in creation order
  // measurably changes its run time, and alternating cancels that out.
  const rawA = await ort.InferenceSession.create(c.bytes, { ...SESSION_OPTIONS });
  const modelA = await loadModel(c.bytes, { backend: 'onnx-node', device: 'cpu', backendOptions: { ...SESSION_OPTIONS } });
  const modelB = await loadModel(c.bytes, { backend: 'onnx-node', device: 'cpu', backendOptions: { ...SESSION_OPTIONS } });
  const rawB = await ort.InferenceSession.create(c.bytes, { ...SESSION_OPTIONS });
  const first = (out: Outputs | ort.InferenceSession.OnnxValueMapType): number => Number((out[c.output]!.data as Float32Array)[0]);
  const pairs = [rawA, rawB].map((raw, i) => {
    const model = i === 0 ? modelA : modelB;
    return { raw: async (): Promise<number> => first(await raw.run(c.rawFeeds())), inproc: async (): Promise<number> => first(await model.run(c.feeds())) };
  });
  const block = async (fn: () => Promise<number>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < perBlock; i++) await fn();
    return ((performance.now() - start) / perBlock) * 1000; // µs per run
  };
  for (const pair of pairs) {
    if ((await pair.raw()) !== (await pair.inproc())) throw new Error(`${c.name}: raw and Inproc outputs differ`);
    for (let i = 0; i < 5; i++) {
      await block(pair.raw);
      await block(pair.inproc);
    }
  }
  const rawTimes: number[] = [];
  const inprocTimes: number[] = [];
  const pairRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const pair = pairs[r % 2]!;
    // Alternate which goes first, so neither always runs on a warmer cache.
    if (r % 4 < 2) {
      rawTimes.push(await block(pair.raw));
      inprocTimes.push(await block(pair.inproc));
    } else {
      inprocTimes.push(await block(pair.inproc));
      rawTimes.push(await block(pair.raw));
    }
    pairRatios.push(inprocTimes.at(-1)! / rawTimes.at(-1)!);
  }
  await Promise.all([modelA.dispose(), modelB.dispose(), rawA.release(), rawB.release()]);
  const rawMicros = summarize(rawTimes);
  const inprocMicros = summarize(inprocTimes);
  return { model: c.name, runs: rounds * perBlock, rawMicros, inprocMicros, ratio: summarize(pairRatios).p50, ratioP50: inprocMicros.p50 / rawMicros.p50, ratioMin: inprocMicros.min / rawMicros.min };
}

/**
 * 'fastest' hands back the winning device's own session (the CPU on this machine): per call it
 * must cost what a plain 'cpu' model costs. Paired blocks of the two, like the pairs above.
 */
async function measureFastest(c: Case): Promise<Record<string, unknown>> {
  const plain = await loadModel(c.bytes, { backend: 'onnx-node', device: 'cpu', backendOptions: { ...SESSION_OPTIONS } });
  const chosen = await loadModel(c.bytes, { backend: 'onnx-node', device: 'fastest', deviceChoice: { cache: false }, backendOptions: { ...SESSION_OPTIONS } });
  if (chosen.device !== 'cpu') throw new Error(`'fastest' chose ${chosen.device}; this comparison needs the CPU`);
  const run = (model: typeof plain) => async (): Promise<number> => Number(((await model.run(c.feeds()))[c.output]!.data as Float32Array)[0]);
  const [plainRun, chosenRun] = [run(plain), run(chosen)];
  const block = async (fn: () => Promise<number>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < perBlock; i++) await fn();
    return ((performance.now() - start) / perBlock) * 1000;
  };
  for (let i = 0; i < 5; i++) await Promise.all([block(plainRun), block(chosenRun)]);
  const ratios: number[] = [];
  const plainTimes: number[] = [];
  const chosenTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [a, b] = r % 2 === 0 ? [await block(plainRun), await block(chosenRun)] : [await block(chosenRun), await block(plainRun)].reverse();
    plainTimes.push(a!);
    chosenTimes.push(b!);
    ratios.push(b! / a!);
  }
  await Promise.all([plain.dispose(), chosen.dispose()]);
  return { model: `${c.name}: 'fastest' (chose cpu) vs 'cpu'`, plainMicros: summarize(plainTimes), fastestMicros: summarize(chosenTimes), ratio: summarize(ratios).p50 };
}

const cases = [];
for (const c of [mlp, vad]) cases.push(await measure(c));
const fastest = await measureFastest(mlp);
const result = { suite: 'overhead', cases, fastest, machine: { ...machine(), onnxruntime: ort.env.versions.common } };

const fmt = (n: unknown): string => (n as number).toFixed(1);
const markdown = [
  `### Overhead of Model.run over raw onnxruntime-node`,
  '',
  `${rounds * perBlock} runs of each side per model, interleaved in blocks of ${perBlock}, over two pairs of sessions created in opposite orders, one intra-op thread each; ratio = median of the paired blocks' ratios.`,
  '',
  '| model | raw p50 µs/run | inproc p50 µs/run | ratio inproc / raw |',
  '|---|---:|---:|---:|',
  ...cases.map((r) => `| ${r['model'] as string} | ${fmt((r['rawMicros'] as { p50: number }).p50)} | ${fmt((r['inprocMicros'] as { p50: number }).p50)} | ${(r['ratio'] as number).toFixed(3)} |`),
  '',
  `A model loaded with \`device: 'fastest'\` (which chose the CPU here) against one loaded with \`device: 'cpu'\`: ${fmt((fastest['plainMicros'] as { p50: number }).p50)} vs ${fmt((fastest['fastestMicros'] as { p50: number }).p50)} µs/run, ratio ${(fastest['ratio'] as number).toFixed(3)}.`,
  '',
].join('\n');
if (values.json) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
