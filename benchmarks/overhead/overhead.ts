/**
 * Overhead of Inproc's `Model.run` over a raw onnxruntime-node session. Two cases: the
 * 256x256 MLP (batch 8, tens of microseconds a run, where any per-call cost shows) and
 * Silero VAD v5 (three inputs, two outputs, a recurrent state: a real model that runs in
 * about a hundred microseconds). Each side builds its input tensors per call, as an
 * application does; Inproc's side includes the validation snapshot of its feeds.
 *
 * Each side runs in a process of its own, on that process's only session: two sessions of
 * one model in one process differ by up to 10% on this kind of machine depending on which
 * is used more often and which was made first (cache residency of its weights and arena),
 * which would swamp a per-call difference of a microsecond. Processes of the two sides
 * alternate (raw, inproc, inproc, raw, ...), each timing blocks of runs after a warm-up and
 * reporting its median block; the ratio is the median of the paired processes' ratios, so
 * load that comes and goes hits both sides alike. One intra-op thread on both sides: what
 * is measured is the cost around a run, not thread-pool scheduling.
 *
 *   npm run overhead -w benchmarks [-- --quick] [-- --batch 8 --size 256]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { type Outputs, Tensor, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    batch: { type: 'string', default: '8' },
    size: { type: 'string', default: '256' },
    json: { type: 'boolean', default: false },
    // Internal: this process is one side of one pair.
    child: { type: 'string' },
    case: { type: 'string' },
  },
});
const batch = Number(values.batch);
const size = Number(values.size);
/** Pairs of processes per case; blocks per process; runs per block. */
const pairs = values.quick ? 3 : 12;
const blocks = values.quick ? 60 : 300;
const perBlock = 20;
/** Runs before timing: the JIT and the CPU settle in the first thousands of calls. */
const warmupRuns = values.quick ? 1000 : 3000;

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

/** Session options of both sides: ORT's defaults, the CPU provider, one intra-op thread. */
const SESSION_OPTIONS = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } as const;
const CASES: Readonly<Record<string, Case>> = { mlp, vad };

/** One side in this process: warm up, then time `blocks` blocks; print the median µs per run and the first output value. */
async function child(side: string, c: Case): Promise<void> {
  let run: () => Promise<number>;
  let close: () => Promise<void>;
  const first = (out: Outputs | ort.InferenceSession.OnnxValueMapType): number => Number((out[c.output]!.data as Float32Array)[0]);
  if (side === 'raw') {
    const raw = await ort.InferenceSession.create(c.bytes, { ...SESSION_OPTIONS });
    run = async () => first(await raw.run(c.rawFeeds()));
    close = () => raw.release();
  } else {
    // 'fastest' hands back the winning device's own session (the CPU on a machine without a
    // GPU): per call it must cost what a plain 'cpu' model costs.
    const device = side === 'fastest' ? 'fastest' : 'cpu';
    const model = await loadModel(c.bytes, { backend: 'onnx-node', device, backendOptions: { ...SESSION_OPTIONS }, ...(device === 'fastest' ? { deviceChoice: { cache: false } } : {}) });
    if (model.device !== 'cpu') throw new Error(`'${device}' chose ${model.device}; this comparison needs the CPU`);
    run = async () => first(await model.run(c.feeds()));
    close = () => model.dispose();
  }
  const value = await run();
  for (let i = 0; i < warmupRuns; i++) await run();
  const times: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const start = performance.now();
    for (let i = 0; i < perBlock; i++) await run();
    times.push(((performance.now() - start) / perBlock) * 1000); // µs per run
  }
  await close();
  process.stdout.write(JSON.stringify({ micros: summarize(times).p50, value }));
}

/** First output element of each case's first run, by side: both sides must compute the same. */
const firstValues = new Map<string, number>();

function side(name: string, caseName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(import.meta.url);
    const args = ['--import', 'tsx', script, '--child', name, '--case', caseName, '--batch', String(batch), '--size', String(size), ...(values.quick ? ['--quick'] : [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`overhead child ${name} ${caseName} exited with ${code}`));
      const { micros, value } = JSON.parse(out) as { micros: number; value: number };
      const seen = firstValues.get(caseName) ?? value;
      if (seen !== value) return reject(new Error(`${caseName}: ${name} computed ${value}, another side ${seen}`));
      firstValues.set(caseName, value);
      resolve(micros);
    });
  });
}

/** Paired processes of side `a` (the baseline) and side `b`, alternating which starts. */
async function compare(caseName: string, a: string, b: string): Promise<{ a: ReturnType<typeof summarize>; b: ReturnType<typeof summarize>; ratio: number }> {
  const aTimes: number[] = [];
  const bTimes: number[] = [];
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const [x, y] = p % 2 === 0 ? [await side(a, caseName), await side(b, caseName)] : [await side(b, caseName), await side(a, caseName)].reverse();
    aTimes.push(x!);
    bTimes.push(y!);
    ratios.push(y! / x!);
  }
  return { a: summarize(aTimes), b: summarize(bTimes), ratio: summarize(ratios).p50 };
}

async function measure(caseName: string): Promise<Record<string, unknown>> {
  const r = await compare(caseName, 'raw', 'inproc');
  return { model: CASES[caseName]!.name, processes: pairs * 2, runsPerProcess: blocks * perBlock, rawMicros: r.a, inprocMicros: r.b, ratio: r.ratio };
}

async function measureFastest(caseName: string): Promise<Record<string, unknown>> {
  const r = await compare(caseName, 'inproc', 'fastest');
  return { model: `${CASES[caseName]!.name}: 'fastest' (chose cpu) vs 'cpu'`, plainMicros: r.a, fastestMicros: r.b, ratio: r.ratio };
}

if (values.child !== undefined) {
  await child(values.child, CASES[values.case ?? '']!);
  process.exit(0);
}

const cases = [];
for (const name of Object.keys(CASES)) cases.push(await measure(name));
const fastest = await measureFastest('mlp');
const result = { suite: 'overhead', cases, fastest, machine: { ...machine(), onnxruntime: ort.env.versions.common } };

const fmt = (n: unknown): string => (n as number).toFixed(1);
const markdown = [
  `### Overhead of Model.run over raw onnxruntime-node`,
  '',
  `Each side in processes of its own (${pairs} pairs per model, alternating, ${blocks * perBlock} timed runs each after ${warmupRuns} untimed, one intra-op thread); µs per run = median over the processes of each one's median block of ${perBlock} runs; ratio = median of the paired processes' ratios.`,
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
