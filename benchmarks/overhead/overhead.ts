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
 * Each process also reports its CPU time per run (process.cpuUsage over the same timed
 * blocks), and the load averages before and after are printed with a verdict: only a quiet
 * machine (other processes took under 5% of its CPU during the run, from /proc/stat less
 * this benchmark's own processes) gives ratios of record; on a busy one both
 * wall and CPU time swing (caches and cores are shared). The 'fastest' vs 'cpu' comparison
 * runs identical per-call code on both sides, so its distance from 1.00 is the noise of the
 * run. The goals (issue 21) are printed beside the ratios: MLP <= 1.05, Silero VAD <= 1.02.
 *
 * A second measurement takes the sessions' differences out altogether: one session, both
 * sides. A process loads the model with Inproc and keeps the very onnxruntime-node session
 * Inproc created (it wraps `InferenceSession.create` to see it), then alternates blocks of
 * `session.run()` with ort.Tensor feeds (raw) and `Model.run()` with Inproc tensors on that
 * one session; its ratio is its median Inproc block over its median raw block. What differs
 * between the sides is only the code around the run: Inproc's overhead, no more.
 *
 *   npm run overhead -w benchmarks [-- --quick] [-- --batch 8 --size 256]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { type Outputs, Tensor, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { othersLoadMeter } from '../lib/machine-load.js';
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
/** Processes of the one-session comparison per case. */
const sameProcesses = values.quick ? 2 : 6;
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
  if (side === 'same') return sameSession(c, first);
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
  const cpu: number[] = [];
  for (let b = 0; b < blocks; b++) await timeBlock(run, times, cpu);
  await close();
  process.stdout.write(JSON.stringify({ micros: summarize(times).p50, cpuMicros: summarize(cpu).p50, value, processCpuMicros: totalCpuMicros() }));
}

/** Times one block of `perBlock` sequential runs: appends its wall µs per run to `times` and its CPU µs per run (user + system) to `cpu`. */
async function timeBlock(run: () => Promise<unknown>, times: number[], cpu: number[]): Promise<void> {
  const start = performance.now();
  const used = process.cpuUsage();
  for (let i = 0; i < perBlock; i++) await run();
  const spent = process.cpuUsage(used);
  times.push(((performance.now() - start) / perBlock) * 1000);
  cpu.push((spent.user + spent.system) / perBlock);
}

/** Both sides on Inproc's own onnxruntime session, in alternating blocks (see the header). */
async function sameSession(c: Case, first: (out: Outputs | ort.InferenceSession.OnnxValueMapType) => number): Promise<void> {
  const sessions: ort.InferenceSession[] = [];
  const create = ort.InferenceSession.create.bind(ort.InferenceSession);
  // onnx-node calls ort.InferenceSession.create of this same module: keep what it made.
  ort.InferenceSession.create = (async (...args: Parameters<typeof create>) => {
    const session = await create(...args);
    sessions.push(session);
    return session;
  }) as typeof ort.InferenceSession.create;
  const model = await loadModel(c.bytes, { backend: 'onnx-node', device: 'cpu', backendOptions: { ...SESSION_OPTIONS } });
  ort.InferenceSession.create = create;
  if (sessions.length !== 1) throw new Error(`expected Inproc to create one onnxruntime session, saw ${sessions.length}`);
  const session = sessions[0]!;
  const raw = async (): Promise<number> => first(await session.run(c.rawFeeds()));
  const inproc = async (): Promise<number> => first(await model.run(c.feeds()));
  const value = await raw();
  if ((await inproc()) !== value) throw new Error(`${c.name}: Inproc and raw disagree on one session`);
  for (let i = 0; i < warmupRuns; i++) {
    await raw();
    await inproc();
  }
  const times = { raw: [] as number[], inproc: [] as number[] };
  const cpu = { raw: [] as number[], inproc: [] as number[] };
  const block = (name: 'raw' | 'inproc'): Promise<void> => timeBlock(name === 'raw' ? raw : inproc, times[name], cpu[name]);
  for (let b = 0; b < blocks; b++) {
    // Which side goes first alternates too: a block right after the other side's starts with its caches.
    const [x, y] = b % 2 === 0 ? (['raw', 'inproc'] as const) : (['inproc', 'raw'] as const);
    await block(x);
    await block(y);
  }
  await model.dispose();
  const p50 = (xs: number[]): number => summarize(xs).p50;
  process.stdout.write(JSON.stringify({ raw: p50(times.raw), inproc: p50(times.inproc), rawCpu: p50(cpu.raw), inprocCpu: p50(cpu.inproc), value, processCpuMicros: totalCpuMicros() }));
}

interface SameResult {
  readonly raw: number;
  readonly inproc: number;
  readonly rawCpu: number;
  readonly inprocCpu: number;
}

/** Processes of the one-session comparison for a case; each process gives its own ratio. */
async function measureSame(caseName: string): Promise<Record<string, unknown>> {
  const runs: SameResult[] = [];
  for (let p = 0; p < sameProcesses; p++) runs.push(await childJson<SameResult>('same', caseName));
  const s = (f: (r: SameResult) => number): { p50: number; min: number; max: number } => {
    const xs = runs.map(f);
    return { p50: summarize(xs).p50, min: Math.min(...xs), max: Math.max(...xs) };
  };
  return {
    case: caseName,
    model: CASES[caseName]!.name,
    processes: sameProcesses,
    rawMicros: s((r) => r.raw),
    inprocMicros: s((r) => r.inproc),
    overheadMicros: s((r) => r.inproc - r.raw),
    ratio: s((r) => r.inproc / r.raw),
    cpuRatio: s((r) => r.inprocCpu / r.rawCpu),
    goal: GOALS[caseName],
  };
}

/** This process's CPU time so far (user + system, µs). */
function totalCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU µs used by the child processes so far (each reports its own at exit). */
let childCpuMicros = 0;

/** First output element of each case's first run, by side: both sides must compute the same. */
const firstValues = new Map<string, number>();

interface SideResult {
  /** Median wall-clock µs per run. */
  readonly micros: number;
  /** Median CPU µs per run (user + system of the process). */
  readonly cpuMicros: number;
}

/** Runs one child process (`--child name --case caseName`); its JSON line, after checking the first output value against every other side's. */
function childJson<T>(name: string, caseName: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(import.meta.url);
    const args = ['--import', 'tsx', script, '--child', name, '--case', caseName, '--batch', String(batch), '--size', String(size), ...(values.quick ? ['--quick'] : [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`overhead child ${name} ${caseName} exited with ${code}`));
      const result = JSON.parse(out) as T & { value: number; processCpuMicros: number };
      childCpuMicros += result.processCpuMicros;
      const seen = firstValues.get(caseName) ?? result.value;
      if (seen !== result.value) return reject(new Error(`${caseName}: ${name} computed ${result.value}, another side ${seen}`));
      firstValues.set(caseName, result.value);
      resolve(result);
    });
  });
}

async function side(name: string, caseName: string): Promise<SideResult> {
  const { micros, cpuMicros } = await childJson<SideResult>(name, caseName);
  return { micros, cpuMicros };
}

interface Comparison {
  readonly a: ReturnType<typeof summarize>;
  readonly b: ReturnType<typeof summarize>;
  /** Median of the pairs' wall-time ratios b / a. */
  readonly ratio: number;
  readonly aCpu: ReturnType<typeof summarize>;
  readonly bCpu: ReturnType<typeof summarize>;
  /** Median of the pairs' CPU-time ratios b / a. */
  readonly cpuRatio: number;
}

/** Paired processes of side `a` (the baseline) and side `b`, alternating which starts. */
async function compare(caseName: string, a: string, b: string): Promise<Comparison> {
  const aRuns: SideResult[] = [];
  const bRuns: SideResult[] = [];
  for (let p = 0; p < pairs; p++) {
    const [x, y] = p % 2 === 0 ? [await side(a, caseName), await side(b, caseName)] : [await side(b, caseName), await side(a, caseName)].reverse();
    aRuns.push(x!);
    bRuns.push(y!);
  }
  const ratios = (key: keyof SideResult): number => summarize(aRuns.map((x, i) => bRuns[i]![key] / x[key])).p50;
  return {
    a: summarize(aRuns.map((r) => r.micros)),
    b: summarize(bRuns.map((r) => r.micros)),
    ratio: ratios('micros'),
    aCpu: summarize(aRuns.map((r) => r.cpuMicros)),
    bCpu: summarize(bRuns.map((r) => r.cpuMicros)),
    cpuRatio: ratios('cpuMicros'),
  };
}

/** The goals of issue 21, per case. */
const GOALS: Readonly<Record<string, number>> = { mlp: 1.05, vad: 1.02 };

async function measure(caseName: string): Promise<Record<string, unknown>> {
  const r = await compare(caseName, 'raw', 'inproc');
  return { case: caseName, model: CASES[caseName]!.name, processes: pairs * 2, runsPerProcess: blocks * perBlock, rawMicros: r.a, inprocMicros: r.b, ratio: r.ratio, rawCpuMicros: r.aCpu, inprocCpuMicros: r.bCpu, cpuRatio: r.cpuRatio, goal: GOALS[caseName] };
}

async function measureFastest(caseName: string): Promise<Record<string, unknown>> {
  const r = await compare(caseName, 'inproc', 'fastest');
  return { model: `${CASES[caseName]!.name}: 'fastest' (chose cpu) vs 'cpu'`, plainMicros: r.a, fastestMicros: r.b, ratio: r.ratio, cpuRatio: r.cpuRatio };
}

if (values.child !== undefined) {
  await child(values.child, CASES[values.case ?? '']!);
  process.exit(0);
}

const cores = os.availableParallelism();
const loadBefore = os.loadavg();
const others = othersLoadMeter();
const cases = [];
for (const name of Object.keys(CASES)) cases.push(await measure(name));
const fastest = await measureFastest('mlp');
const same = [];
for (const name of Object.keys(CASES)) same.push(await measureSame(name));
const loadAfter = os.loadavg();
const othersLoad = others.stop((childCpuMicros + totalCpuMicros()) / 1e6);
// Quiet: other processes took under 5% of the machine's CPU while this ran (where /proc/stat
// says so; else the 1-minute load stayed below half the cores, which counts this benchmark's own busy process too).
const quiet = othersLoad !== undefined ? othersLoad.othersShare < 0.05 : Math.max(loadBefore[0]!, loadAfter[0]!) < cores / 2;
const load = { cores, before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadAfter.map((l) => Number(l.toFixed(2))), othersShare: othersLoad?.othersShare, quiet };
const result = { suite: 'overhead', cases, fastest, sameSession: same, load, machine: { ...machine(), onnxruntime: ort.env.versions.common } };

const fmt = (n: unknown): string => (n as number).toFixed(1);
const markdown = [
  `### Overhead of Model.run over raw onnxruntime-node`,
  '',
  `Each side in processes of its own (${pairs} pairs per model, alternating, ${blocks * perBlock} timed runs each after ${warmupRuns} untimed, one intra-op thread); µs per run = median over the processes of each one's median block of ${perBlock} runs; ratio = median of the paired processes' ratios. CPU µs: the process's user + system time over the same blocks.`,
  '',
  `Load average (1, 5, 15 min) on ${cores} cores: ${load.before.join(', ')} before, ${load.after.join(', ')} after (this benchmark's own process counts about 1)${othersLoad === undefined ? '' : `; other processes took ${(othersLoad.othersShare * 100).toFixed(1)}% of the machine's CPU while it ran (/proc/stat less this benchmark's processes)`} — ${quiet ? 'quiet: the ratios stand' : 'NOT QUIET: other work shared the CPUs, so neither the wall-time nor the CPU-time ratios are a measurement of record; rerun on a quiet machine'}.`,
  '',
  '| model | raw p50 µs/run | inproc p50 µs/run | ratio inproc / raw | raw CPU µs/run | inproc CPU µs/run | CPU ratio | goal |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...cases.map(
    (r) =>
      `| ${r['model'] as string} | ${fmt((r['rawMicros'] as { p50: number }).p50)} | ${fmt((r['inprocMicros'] as { p50: number }).p50)} | ${(r['ratio'] as number).toFixed(3)} | ${fmt((r['rawCpuMicros'] as { p50: number }).p50)} | ${fmt((r['inprocCpuMicros'] as { p50: number }).p50)} | ${(r['cpuRatio'] as number).toFixed(3)} | ≤ ${(r['goal'] as number).toFixed(2)} |`,
  ),
  '',
  `One session, both sides (${sameProcesses} processes per model, each alternating blocks of ${perBlock} raw \`session.run()\` and ${perBlock} \`Model.run()\` calls on the onnxruntime session Inproc created, ${blocks * perBlock} timed runs of each): the ratio is each process's median Inproc block over its median raw block, median over the processes (min–max).`,
  '',
  '| model | raw p50 µs/run | inproc p50 µs/run | Inproc µs per call | ratio inproc / raw | CPU ratio | goal |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...same.map((r) => {
    const q = (k: string): { p50: number; min: number; max: number } => r[k] as { p50: number; min: number; max: number };
    return `| ${r['model'] as string} | ${fmt(q('rawMicros').p50)} | ${fmt(q('inprocMicros').p50)} | ${q('overheadMicros').p50.toFixed(2)} | ${q('ratio').p50.toFixed(3)} (${q('ratio').min.toFixed(3)}–${q('ratio').max.toFixed(3)}) | ${q('cpuRatio').p50.toFixed(3)} | ≤ ${(r['goal'] as number).toFixed(2)} |`;
  }),
  '',
  `A model loaded with \`device: 'fastest'\` (which chose the CPU here) against one loaded with \`device: 'cpu'\`: ${fmt((fastest['plainMicros'] as { p50: number }).p50)} vs ${fmt((fastest['fastestMicros'] as { p50: number }).p50)} µs/run, ratio ${(fastest['ratio'] as number).toFixed(3)} (CPU time ${(fastest['cpuRatio'] as number).toFixed(3)}). Both sides run the same code per call: the distance of this ratio from 1.00 is the noise of this run.`,
  '',
].join('\n');
if (values.json) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
