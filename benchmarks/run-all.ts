/**
 * Runs every benchmark suite, each in a fresh process so that one's memory and JIT
 * state does not colour another's, and writes one report: results/README.md with every
 * suite's table, the charts (the backends suite draws its own; the batching chart is
 * drawn here), and each suite's raw JSON in results/raw/. `--quick` runs short versions
 * (CI keeps them working) and writes under results/raw/quick/ instead. Other arguments
 * are passed to every suite. Suites that exist are run; a suite is a script that prints
 * one JSON line with `--json` (with a `markdown` field for its table).
 *
 *   npm run bench [-- --quick]          (from the repository root: builds first)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { environment, environmentLine } from './lib/environment.js';
import { outputDirs, writeOutput } from './lib/output.js';
import { lineChart } from './lib/svg.js';

const SUITES = ['backends/backends.ts', 'overhead/overhead.ts', 'cold-start/cold-start.ts', 'batching/batching.ts', 'event-loop/event-loop.ts', 'preprocess/preprocess.ts', 'warmup/warmup.ts', 'remote/remote.ts'];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } }, strict: false });
const quick = values.quick === true;
const dirs = outputDirs({ quick, out: typeof values.out === 'string' ? values.out : undefined });
const extra = process.argv.slice(2).filter((a) => a !== '--json');

interface SuiteRun {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly json?: Record<string, unknown>;
  readonly error?: string;
}

async function runSuite(script: string): Promise<SuiteRun> {
  const name = script.split('/')[0]!;
  const started = performance.now();
  process.stderr.write(`\n== ${name} ==\n`);
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...extra, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out }));
  });
  const seconds = (performance.now() - started) / 1000;
  // The suite's JSON is its last line that parses; libraries may print hints before it.
  let json: Record<string, unknown> | undefined;
  for (const line of stdout.trim().split('\n').reverse()) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) {
        json = parsed as Record<string, unknown>;
        break;
      }
    } catch {
      // not the result line
    }
  }
  if (json !== undefined && name !== 'backends') await writeOutput(dirs.raw, `${name}.json`, `${JSON.stringify(json)}\n`);
  const ok = code === 0 && json !== undefined;
  process.stderr.write(`== ${name}: ${ok ? 'done' : 'FAILED'} in ${seconds.toFixed(0)} s\n`);
  return { name, ok, seconds, ...(json === undefined ? {} : { json }), ...(ok ? {} : { error: `exit code ${code ?? 'signal'}${json === undefined ? ', no JSON result' : ''}` }) };
}

function section(run: SuiteRun): string {
  if (!run.ok && run.json === undefined) return `### ${run.name}\n\nFailed: ${run.error ?? 'unknown error'}.\n`;
  const markdown = run.json?.['markdown'];
  if (typeof markdown === 'string') return markdown;
  // A suite without a table of its own: its result, without long arrays.
  const compact = JSON.stringify(run.json, (_k, v: unknown) => (Array.isArray(v) && v.length > 20 ? `[${v.length} values]` : v), 2);
  return `### ${run.name}\n\n\`\`\`json\n${compact}\n\`\`\`\n`;
}

interface BatchingRow {
  readonly callers: number;
  readonly plain: { readonly rps: number };
  readonly batched: { readonly rps: number };
}

const started = performance.now();
const runs: SuiteRun[] = [];
for (const script of SUITES) {
  if (!existsSync(fileURLToPath(new URL(script, import.meta.url)))) continue;
  runs.push(await runSuite(script));
}

const charts: string[] = [];
const batching = runs.find((r) => r.name === 'batching')?.json;
if (Array.isArray(batching?.['rows'])) {
  const rows = batching['rows'] as BatchingRow[];
  await writeOutput(
    dirs.report,
    'batching-throughput.svg',
    lineChart({
      title: 'Dynamic batching: throughput against concurrent callers',
      subtitle: `${String(batching['model'])}; onnx-node CPU`,
      xLabel: 'concurrent callers (one row per call)',
      yLabel: 'requests per second',
      series: [
        { label: 'no batching', points: rows.map((r) => [r.callers, r.plain.rps] as const) },
        { label: 'dynamic batching', points: rows.map((r) => [r.callers, r.batched.rps] as const) },
      ],
    }),
  );
  charts.push('batching-throughput.svg');
}

const seconds = (performance.now() - started) / 1000;
const env = environment();
const report = [
  `# Benchmark results${quick ? ' (quick run: few samples, for CI — not for comparing)' : ''}`,
  '',
  `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${env.date.slice(0, 10)} in ${(seconds / 60).toFixed(1)} min. Machine: ${environmentLine(env)}.`,
  'Raw results with every sample: `raw/*.json` (not committed). Numbers from a shared 2-core machine: compare rows of one run, not runs of different machines.',
  '',
  ...runs.map((r) => `${section(r)}\n`),
  ...charts.map((file) => `![${file}](${file})\n`),
].join('\n');
const path = await writeOutput(dirs.report, 'README.md', report);
const failed = runs.filter((r) => !r.ok);
process.stderr.write(`\nbenchmarks: ${runs.length} suites in ${seconds.toFixed(0)} s; report ${path}${failed.length === 0 ? '' : `; FAILED: ${failed.map((r) => r.name).join(', ')}`}\n`);
process.exitCode = failed.length === 0 ? 0 : 1;
