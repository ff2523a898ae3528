/**
 * Cold start: whole processes, each started fresh, Inproc paired against raw
 * onnxruntime-node doing the same work (issue 22):
 *
 * - (a) import only: `import('inproc')` against `import('onnxruntime-node')`, and an empty
 *   Node process for the floor;
 * - (b) import + load + first run + dispose, for the 256x256 MLP (built by the testkit) and
 *   Silero VAD v5 (from @ricky0123/vad-web);
 * - (c) `inproc --help` against an empty Node process;
 * - (d) `inproc serve <repository>` until the first 200 on `/v2/health/ready`, against a
 *   node:http server that answers it after creating the same session with onnxruntime-node.
 *
 * Every process runs with the same `--import` hook (usage.mjs) that writes its own CPU time
 * and peak memory at exit; wall time is measured here, from spawn to exit (to the first 200
 * for (d); the server is then stopped with SIGTERM, so its CPU includes a graceful stop).
 * Runs alternate Inproc and raw (ABAB…, the order flipped every pair) after one warm-up of
 * each, so that drift on a shared machine hits both; ratios are taken pair by pair. The
 * workload scripts are plain .mjs run by `node`, so no TypeScript loader is timed.
 * The load average is recorded with the results: on a loaded machine the ratios hold
 * better than the absolute times.
 *
 *   npx tsx benchmarks/cold-start/cold-start.ts [--quick] [--pairs 15] [--json] [--cases abcd] [--instructions]
 *
 * `--cases` runs only the cases of those letters (`--cases d`: serve only).
 *
 * `--instructions` counts instructions instead (valgrind's callgrind, which must be installed):
 * each process of (a)-(c) runs `--pairs` times (default 5, 3 with `--quick`) on each side under callgrind,
 * and the table gives the median instructions of the main thread (JavaScript, module loading,
 * onnxruntime's calls from it) and of all threads (onnxruntime's pool too). Unlike CPU time,
 * the counts hardly move with the load of a shared machine (a few million from run to run:
 * hash seeds, GC timing), so small changes show; a process runs about 50x slower.
 * (d) is left out (a server under valgrind takes too long to answer).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, pairs: { type: 'string' }, json: { type: 'boolean', default: false }, cases: { type: 'string' }, instructions: { type: 'boolean', default: false } } });
const pairs = Number(values.pairs ?? (values.quick ? 3 : values.instructions ? 5 : 15));
if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a positive integer, got ${values.pairs}`);

const here = dirname(fileURLToPath(import.meta.url));
const hook = join(here, 'usage.mjs');
const workload = (name: string): string => join(here, 'workloads', name);
const require = createRequire(import.meta.url);
const cliPackage = require.resolve('@inproc/cli/package.json');
const cli = join(dirname(cliPackage), (JSON.parse(readFileSync(cliPackage, 'utf8')) as { bin: Record<string, string> }).bin['inproc']!);
const silero = join(dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakMiB: number;
  /** What the workload printed (its own phase timings), when it printed JSON. */
  readonly report?: Record<string, number>;
}

/**
 * A command: arguments after `node --import usage.mjs`. A server gets a free port as its last
 * argument and is polled on `/v2/health/ready` until it answers 200.
 */
interface Command {
  readonly argv: readonly string[];
  readonly server?: boolean;
}

interface Case {
  readonly name: string;
  readonly inproc: Command;
  readonly raw: Command;
  /** What the raw side is, for the table. */
  readonly rawLabel: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The children's environment: this one without NODE_EXTRA_CA_CERTS. Node parses those
 * certificates at the start of every process (on a VM with a corporate bundle, about two
 * thirds of an empty process's instructions): the same for both sides, it would only dilute
 * the ratios. Said in the output when it was set.
 */
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...childEnv } = process.env;

let usageSeq = 0;
async function runOnce(command: Command, work: string): Promise<Sample> {
  const usageFile = join(work, `usage-${usageSeq++}.json`);
  const argv = [...command.argv];
  let url: string | undefined;
  if (command.server === true) {
    const port = await freePort();
    argv.push(String(port));
    url = `http://127.0.0.1:${port}/v2/health/ready`;
  }
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', hook, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...childEnv, COLD_START_USAGE: usageFile, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let wallMs: number;
  if (url !== undefined) {
    let done = false;
    void exited.then(() => (done = true));
    for (;;) {
      if (done) throw new Error(`${argv.join(' ')} exited before it was ready:\n${stdout}${stderr}`);
      const ok = await fetch(url).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    wallMs = performance.now() - started;
    child.kill('SIGTERM');
    await exited;
  } else {
    const code = await exited;
    wallMs = performance.now() - started;
    if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}:\n${stdout}${stderr}`);
  }
  const usage = JSON.parse(await readFile(usageFile, 'utf8')) as { userMs: number; systemMs: number; maxRssKiB: number };
  let report: Record<string, number> | undefined;
  for (const line of stdout.trim().split('\n').reverse()) {
    try {
      report = JSON.parse(line) as Record<string, number>;
      break;
    } catch {
      // not a JSON line
    }
  }
  return { wallMs, cpuMs: usage.userMs + usage.systemMs, peakMiB: usage.maxRssKiB / 1024, ...(report === undefined ? {} : { report }) };
}

/** Instructions of one process under callgrind: of its main thread and of all its threads. */
interface Count {
  readonly main: number;
  readonly all: number;
}

let countSeq = 0;
async function countOnce(command: Command, work: string): Promise<Count> {
  const dir = join(work, `callgrind-${countSeq++}`);
  await mkdir(dir);
  const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'out')}`, process.execPath, '--import', hook, ...command.argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...childEnv, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`valgrind ${command.argv.join(' ')} exited with ${code}:\n${output.slice(-4000)}`);
  // One file per thread, out-01 the main thread; each says its total on a `summary:` line.
  let main: number | undefined;
  let all = 0;
  for (const name of await readdir(dir)) {
    const m = /^summary:\s+(\d+)/m.exec(await readFile(join(dir, name), 'utf8'));
    if (m === null) continue;
    all += Number(m[1]);
    if (name.endsWith('-01')) main = Number(m[1]);
  }
  await rm(dir, { recursive: true, force: true });
  if (main === undefined) throw new Error(`callgrind wrote no main-thread profile for ${command.argv.join(' ')}`);
  return { main, all };
}

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

interface CaseResult {
  readonly name: string;
  readonly rawLabel: string;
  readonly inproc: { readonly cpuMs: Spread; readonly wallMs: Spread; readonly peakMiB: Spread; readonly importMs?: Spread };
  readonly raw: { readonly cpuMs: Spread; readonly wallMs: Spread; readonly peakMiB: Spread; readonly importMs?: Spread };
  /** Per pair, Inproc / raw. */
  readonly cpuRatio: Spread;
  readonly wallRatio: Spread;
  readonly samples: { readonly inproc: Sample[]; readonly raw: Sample[] };
}

function side(samples: readonly Sample[]): CaseResult['inproc'] {
  const imports = samples.map((s) => s.report?.['importMs']).filter((v): v is number => typeof v === 'number');
  return {
    cpuMs: spread(samples.map((s) => s.cpuMs)),
    wallMs: spread(samples.map((s) => s.wallMs)),
    peakMiB: spread(samples.map((s) => s.peakMiB)),
    ...(imports.length === samples.length ? { importMs: spread(imports) } : {}),
  };
}

async function measure(c: Case, work: string): Promise<CaseResult> {
  process.stderr.write(`cold-start: ${c.name} `);
  await runOnce(c.inproc, work);
  await runOnce(c.raw, work);
  const inproc: Sample[] = [];
  const raw: Sample[] = [];
  for (let i = 0; i < pairs; i++) {
    // Flip the order every pair: the one that runs second may find caches warmer.
    if (i % 2 === 0) {
      inproc.push(await runOnce(c.inproc, work));
      raw.push(await runOnce(c.raw, work));
    } else {
      raw.push(await runOnce(c.raw, work));
      inproc.push(await runOnce(c.inproc, work));
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return {
    name: c.name,
    rawLabel: c.rawLabel,
    inproc: side(inproc),
    raw: side(raw),
    cpuRatio: spread(inproc.map((s, i) => s.cpuMs / raw[i]!.cpuMs)),
    wallRatio: spread(inproc.map((s, i) => s.wallMs / raw[i]!.wallMs)),
    samples: { inproc, raw },
  };
}

const work = await mkdtemp(join(tmpdir(), 'inproc-cold-start-'));
const mlp = join(work, 'mlp.onnx');
await writeFile(mlp, mlpModel(256));
const repository = join(work, 'repository');
await mkdir(join(repository, 'mlp', '1'), { recursive: true });
await writeFile(join(repository, 'mlp', '1', 'model.onnx'), mlpModel(256));

const cases: Case[] = [
  { name: '(a) import', inproc: { argv: [workload('import.mjs'), 'inproc'] }, raw: { argv: [workload('import.mjs'), 'onnxruntime-node'] }, rawLabel: "import('onnxruntime-node')" },
  { name: '(a) import, against an empty process', inproc: { argv: [workload('import.mjs'), 'inproc'] }, raw: { argv: [workload('import.mjs'), 'none'] }, rawLabel: 'node, nothing imported' },
  { name: '(b) MLP 256x256: import, load, run, dispose', inproc: { argv: [workload('run-inproc.mjs'), 'mlp', mlp] }, raw: { argv: [workload('run-ort.mjs'), 'mlp', mlp] }, rawLabel: 'onnxruntime-node, same steps' },
  { name: '(b) Silero VAD v5: import, load, run, dispose', inproc: { argv: [workload('run-inproc.mjs'), 'silero', silero] }, raw: { argv: [workload('run-ort.mjs'), 'silero', silero] }, rawLabel: 'onnxruntime-node, same steps' },
  { name: '(c) inproc --help', inproc: { argv: [cli, '--help'] }, raw: { argv: [workload('import.mjs'), 'none'] }, rawLabel: 'node, nothing imported' },
  {
    name: '(d) inproc serve: spawn to first 200 on /v2/health/ready (MLP preloaded)',
    inproc: { argv: [cli, 'serve', repository, '--port'], server: true },
    raw: { argv: [workload('serve-ort.mjs'), mlp], server: true },
    rawLabel: 'node:http + onnxruntime-node session',
  },
];

const only = values.cases;
if (only !== undefined && !/^[abcd]+$/.test(only)) throw new Error(`--cases takes letters of a, b, c, d, got ${only}`);
const chosen = only === undefined ? cases : cases.filter((c) => only.includes(c.name[1]!));

if (values.instructions) {
  await countInstructions(chosen.filter((c) => c.inproc.server !== true));
  await rm(work, { recursive: true, force: true });
  process.exit(0);
}

/** `--instructions`: each side of each case `pairs` times under callgrind, alternating; medians. */
async function countInstructions(counted: readonly Case[]): Promise<void> {
  const before = loadavg();
  const rows: { name: string; rawLabel: string; inproc: Count[]; raw: Count[] }[] = [];
  for (const c of counted) {
    process.stderr.write(`cold-start --instructions: ${c.name} `);
    const row = { name: c.name, rawLabel: c.rawLabel, inproc: [] as Count[], raw: [] as Count[] };
    for (let i = 0; i < pairs; i++) {
      row.inproc.push(await countOnce(c.inproc, work));
      row.raw.push(await countOnce(c.raw, work));
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    rows.push(row);
  }
  const after = loadavg();
  const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
  const m = (counts: readonly Count[], key: keyof Count): number => median(counts.map((x) => x[key]));
  const mi = (v: number): string => `${(v / 1e6).toFixed(1)} M`;
  const table = [
    '### Cold start: instructions (callgrind), Inproc against raw onnxruntime-node',
    '',
    `Medians of ${pairs} processes per side${extraCaCerts === undefined ? '' : ', without the NODE_EXTRA_CA_CERTS set here'}; main thread and all threads. Load average ${[before, after].map((l) => l.map((v) => v.toFixed(2)).join(', ')).join(' before, ')} after (the counts hardly depend on it).`,
    '',
    '| case | raw side | Inproc main | raw main | main ratio | Inproc all threads | raw all threads | all ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const [im, rm_, ia, ra] = [m(r.inproc, 'main'), m(r.raw, 'main'), m(r.inproc, 'all'), m(r.raw, 'all')];
      return `| ${r.name} | ${r.rawLabel} | ${mi(im)} | ${mi(rm_)} | ${(im / rm_).toFixed(2)}× | ${mi(ia)} | ${mi(ra)} | ${(ia / ra).toFixed(2)}× |`;
    }),
    '',
  ].join('\n');
  if (values.json) console.log(JSON.stringify({ suite: 'cold-start-instructions', pairs, loadBefore: before, loadAfter: after, rows, machine: machine(), markdown: table }));
  else {
    console.log(table);
    console.log(machine());
  }
}

const loadBefore = loadavg();
const results: CaseResult[] = [];
for (const c of chosen) results.push(await measure(c, work));
const loadAfter = loadavg();
await rm(work, { recursive: true, force: true });

const ms = (s: Spread): string => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
const ratio = (s: Spread): string => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const load = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(', ');
const importRow = results.find((r) => r.name === '(a) import, against an empty process');
const importOnly = importRow?.inproc.importMs;
const markdown = [
  '### Cold start: whole processes, Inproc against raw onnxruntime-node',
  '',
  `Medians over ${pairs} pairs (min–max), each process started fresh${extraCaCerts === undefined ? '' : ', without the NODE_EXTRA_CA_CERTS set here'}; ratios pair by pair. CPU is user + system time of the process (getrusage at exit), wall from spawn to exit (to the first 200 for serve). Load average (1, 5, 15 min) ${load(loadBefore)} before, ${load(loadAfter)} after${loadBefore[0]! > 1.5 ? ': taken under load — compare the ratios, not the absolute times' : ''}.`,
  '',
  '| case | raw side | Inproc CPU ms | raw CPU ms | CPU ratio | Inproc wall ms | raw wall ms | wall ratio | peak MiB Inproc / raw |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.rawLabel} | ${ms(r.inproc.cpuMs)} | ${ms(r.raw.cpuMs)} | ${ratio(r.cpuRatio)} | ${ms(r.inproc.wallMs)} | ${ms(r.raw.wallMs)} | ${ratio(r.wallRatio)} | ${r.inproc.peakMiB.median.toFixed(0)} / ${r.raw.peakMiB.median.toFixed(0)} |`),
  '',
  importOnly === undefined ? '' : `\`import('inproc')\` alone, timed inside the process (performance.now() around the import): median ${importOnly.median.toFixed(1)} ms (${importOnly.min.toFixed(1)}–${importOnly.max.toFixed(1)}).`,
  '',
].join('\n');

if (values.json) {
  console.log(JSON.stringify({ suite: 'cold-start', pairs, loadBefore, loadAfter, results, machine: machine(), markdown }));
} else {
  console.log(markdown);
  console.log(machine());
}
