/**
 * The `backends` suite: the same models on every backend and device Inproc has — ONNX
 * models on onnx-node CPU (and CUDA when present), onnx-web WASM in Node, onnx-web WASM
 * and WebGPU in headless Chromium; TF.js models on tfjs wasm / cpu in Node and wasm /
 * webgl / webgpu in Chromium; the small CNN in both formats, head to head. Node cases run
 * in a fresh process each (node-case.ts), Chromium cases in a fresh page each.
 *
 *   npx tsx backends/backends.ts [--quick] [--json] [--filter text] [--out dir]
 *
 * Writes raw JSON (every sample), backends.md (the table) and SVG charts (latency per
 * backend for each model, throughput against concurrency); see lib/output.ts for where.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { environment, environmentLine, type Environment } from '../lib/environment.js';
import { FULL_PLAN, QUICK_PLAN, type SamplingPlan } from '../lib/measure.js';
import { outputDirs, writeOutput } from '../lib/output.js';
import { latencyChart, lineChart } from '../lib/svg.js';
import { CONCURRENCY_FAMILIES, RUNTIMES, benchmarkCases, runtimeLabel, type CaseSpec } from './cases.js';
import { runBrowserCases } from './browser.js';
import { MODELS } from './models.js';
import type { CaseOutcome } from './run-case.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    filter: { type: 'string' },
    out: { type: 'string' },
    browser: { type: 'boolean', default: true },
    'no-browser': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const basePlan = quick ? QUICK_PLAN : FULL_PLAN;
const planFor = (c: CaseSpec): SamplingPlan => (CONCURRENCY_FAMILIES.has(c.model.family) ? basePlan : { ...basePlan, concurrency: [] });
const cases = benchmarkCases({ quick }).filter((c) => values.filter === undefined || c.id.includes(values.filter));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

type Result = CaseOutcome & { readonly modelBytes?: number };

/** Runs one Node case in a fresh process; its outcome comes back through a file (stdout is the libraries'). */
async function runNodeCase(c: CaseSpec, dir: string): Promise<Result> {
  const out = join(dir, `${c.id.replace(/[^a-z0-9-]/gi, '_')}.json`);
  const script = fileURLToPath(new URL('./node-case.ts', import.meta.url));
  const args = ['--import', 'tsx', script, '--case', c.id, '--out', out, ...(quick ? ['--quick'] : [])];
  const timeoutMs = quick ? 180_000 : 600_000;
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('close', (exitCode) => resolve({ code: exitCode, stderr: err }));
  });
  try {
    return JSON.parse(await readFile(out, 'utf8')) as Result;
  } catch {
    return { status: 'failed', error: `the case process exited with ${code ?? 'a signal (timeout?)'} without a result: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

function summaryLine(c: CaseSpec, o: CaseOutcome): string {
  const what = `${c.model.id} on ${runtimeLabel(c.runtime)}`;
  if (o.status === 'ok') return `${what}: p50 ${o.latency.p50.toFixed(2)} ms, p99 ${o.latency.p99.toFixed(2)} ms, load ${o.loadMs.toFixed(0)} ms`;
  if (o.status === 'skipped') return `${what}: skipped (${o.reason.split('\n')[0]})`;
  return `${what}: FAILED (${o.error.split('\n')[0]})`;
}

const results = new Map<string, Result>();
const started = performance.now();
const nodeCases = cases.filter((c) => c.runtime.where === 'node');
const browserCases = values['no-browser'] ? [] : cases.filter((c) => c.runtime.where === 'chromium');
let done = 0;
const temp = await mkdtemp(join(tmpdir(), 'inproc-bench-'));
try {
  for (const c of nodeCases) {
    done++;
    // A runtime that is only probed (CUDA) is tried once; when it is unavailable the rest skip with its reason.
    const probe = c.runtime.probe === true ? [...results.entries()].find(([id]) => cases.find((k) => k.id === id)?.runtime === c.runtime)?.[1] : undefined;
    const outcome: Result = probe?.status === 'skipped' ? probe : await runNodeCase(c, temp);
    results.set(c.id, outcome);
    log(`[${done}/${cases.length}] ${summaryLine(c, outcome)}`);
  }
  if (browserCases.length > 0) {
    log(`building the Chromium page and running ${browserCases.length} cases there ...`);
  }
} finally {
  await rm(temp, { recursive: true, force: true });
}
const browserRun =
  browserCases.length === 0
    ? { browser: 'not run', gpu: undefined, outcomes: new Map<string, Result>() }
    : await runBrowserCases(browserCases, planFor, (c, o) => log(`[${++done}/${cases.length}] ${summaryLine(c, o)}`));
for (const [id, o] of browserRun.outcomes) results.set(id, o);

// ---- comparison of numerics: each family's first successful case is the reference ----
const maxDiff = new Map<string, number>();
const references = new Set<string>();
for (const family of new Set(MODELS.map((m) => m.family))) {
  const ok = cases.filter((c) => c.model.family === family).flatMap((c) => {
    const r = results.get(c.id);
    return r?.status === 'ok' ? [[c, r] as const] : [];
  });
  const reference = ok[0]?.[1];
  if (reference === undefined) continue;
  references.add(ok[0]![0].id);
  for (const [c, r] of ok) maxDiff.set(c.id, Math.max(...r.outputHead.map((v, k) => Math.abs(v - (reference.outputHead[k] ?? Number.NaN)))));
}

// ---- report ----
const env: Environment = environment();
const dirs = outputDirs({ quick, out: values.out });
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (v: number | undefined): string => (v === undefined ? '—' : (v / 2 ** 20).toFixed(0));
const notes: string[] = [];
const table: string[] = [
  '| model | backend · device (where) | load ms | first run ms | runs | p50 ms | p90 ms | p99 ms | runs/s | peak RSS MiB | after dispose | max abs diff |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
];
let lastModel = '';
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
const probeNotes = new Set<string>();
// Rows grouped by model (in MODELS order), backends in RUNTIMES order within a model.
const ordered = [...cases].sort((a, b) => MODELS.indexOf(a.model) - MODELS.indexOf(b.model) || RUNTIMES.indexOf(a.runtime) - RUNTIMES.indexOf(b.runtime));
for (const c of ordered) {
  const r = results.get(c.id);
  if (r === undefined) continue;
  // A probed runtime that is not there (CUDA on a machine without it) gets one note, no rows.
  if (c.runtime.probe === true && r.status === 'skipped') {
    probeNotes.add(`${runtimeLabel(c.runtime)}: not measured on this machine — ${oneLine(r.reason)}`);
    continue;
  }
  const modelCell = c.model.label === lastModel ? '' : `**${c.model.label}**`;
  lastModel = c.model.label;
  const runtime = `${runtimeLabel(c.runtime)}${c.model.family === 'cnn' || c.model.family === 'mlp' ? ` [${c.model.format === 'onnx' ? 'ONNX' : 'TF.js'}]` : ''}`;
  if (r.status !== 'ok') {
    notes.push(`${c.model.id} on ${runtimeLabel(c.runtime)}: ${oneLine(r.status === 'skipped' ? r.reason : r.error)}`);
    table.push(`| ${modelCell} | ${runtime} | ${r.status} [${notes.length}] | | | | | | | | | |`);
    continue;
  }
  const rss = r.memory.peakRss ?? r.memory.jsHeap;
  const zero = Object.values(r.resourcesAfterDispose).every((v) => v === 0);
  const diff = maxDiff.get(c.id);
  table.push(
    `| ${modelCell} | ${runtime}${r.device === c.runtime.device ? '' : ` → ${r.device}`}${r.adapter === undefined ? '' : ` on ${r.adapter}`} | ${ms(r.loadMs)} | ${ms(r.firstRunMs)} | ${r.latency.n} | ${ms(r.latency.p50)} | ${ms(r.latency.p90)} | ${ms(r.latency.p99)} | ${r.throughput.toFixed(r.throughput >= 100 ? 0 : 1)} | ${mb(rss)}${r.memory.peakRss === undefined && rss !== undefined ? ' (JS heap)' : ''} | ${zero ? '0' : JSON.stringify(r.resourcesAfterDispose)} | ${references.has(c.id) ? 'ref' : diff === undefined ? '' : diff === 0 ? '0' : diff.toExponential(1)} |`,
  );
}

const charts: string[] = [];
for (const family of new Set(cases.map((c) => c.model.family))) {
  const rows = cases
    .filter((c) => c.model.family === family && !(c.runtime.probe === true && results.get(c.id)?.status === 'skipped'))
    .map((c) => {
      const r = results.get(c.id);
      const label = `${runtimeLabel(c.runtime)}${family === 'cnn' || family === 'mlp' ? (c.model.format === 'onnx' ? ' · ONNX' : ' · TF.js') : ''}`;
      if (r?.status !== 'ok') return { label, note: r === undefined ? 'not run' : r.status === 'skipped' ? 'skipped (unavailable here)' : 'failed (see the table notes)' };
      return { label, samples: r.samples, p50: r.latency.p50, p99: r.latency.p99 };
    });
  const model = cases.find((c) => c.model.family === family)!.model;
  const file = `latency-${family}.svg`;
  await writeOutput(dirs.report, file, latencyChart({ title: `${model.label}: latency per run by backend`, subtitle: `${env.cpu}, ${env.cores} cores${quick ? ' — QUICK run, few samples' : ''}`, rows }));
  charts.push(file);
}
const concurrencySeries = cases
  .filter((c) => CONCURRENCY_FAMILIES.has(c.model.family))
  .flatMap((c) => {
    const r = results.get(c.id);
    if (r?.status !== 'ok' || r.concurrency.length === 0) return [];
    return [{ label: `${runtimeLabel(c.runtime)} · ${c.model.format === 'onnx' ? 'ONNX' : 'TF.js'}`, points: r.concurrency.map((p) => [p.callers, p.rps] as const) }];
  });
if (concurrencySeries.length > 0) {
  const file = 'throughput-concurrency.svg';
  await writeOutput(dirs.report, file, lineChart({ title: 'Small CNN 128x128: throughput against concurrent callers', subtitle: 'each caller awaits its run before sending the next; one model (session) per backend', xLabel: 'concurrent callers', yLabel: 'runs per second', series: concurrencySeries }));
  charts.push(file);
}

const seconds = (performance.now() - started) / 1000;
const markdown = [
  `### Backends${quick ? ' (quick run)' : ''}`,
  '',
  `Machine: ${environmentLine(env)}; browser: ${browserRun.browser}${browserRun.gpu === undefined ? '' : `, WebGPU adapter: ${browserRun.gpu}`}. ${cases.length} cases in ${seconds.toFixed(0)} s.`,
  ...(browserRun.gpu !== undefined && /swiftshader/i.test(browserRun.gpu) ? ['', '**WebGPU and WebGL here run on SwiftShader, a CPU emulation of a GPU** (this machine has no GPU): those rows show that the backends work and what they cost without a GPU, not what a real GPU does.', ''] : []),
  `Sampling: warm-up ${basePlan.warmupMs} ms, then at least ${basePlan.minSamples} runs and ${basePlan.timeMs} ms per case (tinybench); Node cases in a fresh process each, Chromium cases in a fresh page each.`,
  '"first run" is the first call after load; "peak RSS" is the case process\'s maximum resident set (Node), or the JS heap in use (Chromium, which does not count WASM or GPU memory); "after dispose" is `resources()` once the model is disposed; "max abs diff" compares the first output values with the family\'s first backend ("ref"), on identical inputs.',
  '',
  ...table,
  ...(notes.length === 0 ? [] : ['', ...notes.map((note, k) => `${k + 1}. ${note}`)]),
  ...(probeNotes.size === 0 ? [] : ['', ...[...probeNotes].map((note) => `- ${note}`)]),
  '',
  ...charts.map((file) => `![${file}](${file})`),
  '',
].join('\n');
await writeOutput(dirs.report, 'backends.md', markdown);
const raw = { suite: 'backends', quick, environment: env, browser: browserRun.browser, plan: basePlan, seconds, runtimes: RUNTIMES, cases: cases.map((c) => ({ id: c.id, model: c.model, runtime: c.runtime, result: results.get(c.id) })) };
const rawPath = await writeOutput(dirs.raw, 'backends.json', `${JSON.stringify(raw)}\n`);
log(`backends: ${cases.length} cases in ${seconds.toFixed(0)} s; table ${join(dirs.report, 'backends.md')}, raw ${rawPath}`);

const failed = [...results.values()].filter((r) => r.status === 'failed').length;
if (values.json) console.log(JSON.stringify({ suite: 'backends', markdown, charts, failed, seconds }));
else console.log(markdown);
process.exitCode = failed === 0 ? 0 : 1;
