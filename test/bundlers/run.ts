/**
 * Every bundler a front-end developer picks, from the packed tarballs: a minimal app per
 * bundler (Next.js, Vite with a worker, webpack 5, Rollup, esbuild; sources in `apps/`)
 * is installed in a fresh project outside the repository (bundlers from the npm
 * registry, at the pinned versions below; one shared node_modules), built as its
 * README section says, served on http://localhost and run in headless Chromium. Each
 * page runs Silero VAD v5 over the same audio through inproc (in the page, and for the
 * static bundlers also with `isolation: 'worker'`), and its answers must match the same
 * model run here in Node on onnx-node. Next.js also renders a server component that
 * imports inproc.
 *
 * Beside each inproc page, a raw onnxruntime-web app built by the same bundler does the
 * same work: what the two pages download (JS minified and gzipped, wasm) goes into
 * `benchmarks/results/bundles.md`, with inproc's overhead.
 *
 * Run it with `npm run check:bundlers` (packs first), or `npx tsx test/bundlers/run.ts`
 * after `npm run pack`; `--only vite,next` picks bundlers, `--fresh` reinstalls the
 * project (kept in the system temp folder between runs), `--no-table` leaves the
 * benchmark table alone. Exits non-zero naming every failure.
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, Response } from 'playwright-core';
import { Tensor, loadModel } from 'inproc';
import { chirp } from '@inproc/testkit/audio';
import { chromiumSkipReason, launchChromium, serveStatic } from '@inproc/testkit/browser/harness';

const ROOT = resolve(import.meta.dirname, '../..');
const APPS = join(import.meta.dirname, 'apps');
const PACKS = join(ROOT, 'packs');
const TABLE = join(ROOT, 'benchmarks/results/bundles.md');

/** The bundlers and their plugins, pinned: a new release is a deliberate update here. */
const PINS = {
  next: '16.5.0',
  react: '19.3.1',
  'react-dom': '19.3.1',
  vite: '8.3.8',
  webpack: '5.113.0',
  'webpack-cli': '7.3.1',
  rollup: '4.69.3',
  '@rollup/plugin-node-resolve': '16.0.3',
  '@rollup/plugin-terser': '1.0.2',
  'rollup-plugin-copy': '3.5.0',
  esbuild: '0.28.2',
} as const;

const BUNDLERS = ['vite', 'webpack', 'rollup', 'esbuild', 'next'] as const;
type Bundler = (typeof BUNDLERS)[number];

const { values: args } = parseArgs({ options: { only: { type: 'string' }, fresh: { type: 'boolean' }, 'no-table': { type: 'boolean' } } });
const chosen = (args.only?.split(',') ?? BUNDLERS) as Bundler[];
for (const b of chosen) if (!BUNDLERS.includes(b)) throw new Error(`--only: no bundler "${b}" (there are ${BUNDLERS.join(', ')})`);

const startedAt = performance.now();
const failures: string[] = [];
const passed: string[] = [];
/** Records a check: `what` when it passed, `failed` (default `what`) when it did not. */
function check(ok: boolean, what: string, failed = what): boolean {
  if (ok) passed.push(what);
  else failures.push(failed);
  return ok;
}

interface Result {
  readonly code: number;
  readonly output: string;
}

/** Runs a program to its end (bounded by `limitMs`), output kept together. */
function run(command: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, limitMs = 300_000): Promise<Result> {
  return new Promise((done) => {
    execFile(command, argv, { cwd, env: { ...process.env, ...env }, timeout: limitMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, output: `${stdout}${stderr}${error?.killed === true ? `\n(killed after ${limitMs / 1000} s)` : ''}` });
    });
  });
}

const tail = (text: string, lines = 30): string => text.trimEnd().split('\n').slice(-lines).join('\n');
// eslint-disable-next-line no-control-regex -- ANSI colour codes in the bundlers' output
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** A build's output cut to what says why it failed: the error lines (first 20), then its last lines. */
function why(output: string): string {
  const lines = plain(output).split('\n');
  const errors = [...new Set(lines.filter((l) => /error|not found|can't resolve|cannot|failed|killed after/i.test(l)).map((l) => l.trim()))].slice(0, 20);
  return [...errors.map((l) => `  ${l}`), '  ...', tail(lines.join('\n'), 12)].join('\n');
}
const step = (what: string): void => console.log(`\n--- ${what} (${new Date().toISOString().slice(11, 19)})`);

// ---------------------------------------------------------------------------------------
// The project: the tarballs, onnxruntime-web and the bundlers, installed once.

const tarballs = existsSync(PACKS) ? (await readdir(PACKS)).filter((f) => f.endsWith('.tgz')).map((f) => join(PACKS, f)) : [];
if (tarballs.length === 0) {
  console.error('packs/ holds no tarballs: run npm run pack first');
  process.exit(1);
}
const ortVersion = (JSON.parse(await readFile(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;
const work = join(tmpdir(), 'inproc-bundlers');
if (args.fresh === true) await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
// Fresh sources every run (node_modules stays).
for (const entry of await readdir(APPS)) {
  await rm(join(work, entry), { recursive: true, force: true });
  await cp(join(APPS, entry), join(work, entry), { recursive: true });
}
if (!existsSync(join(work, 'package.json'))) await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'inproc-bundler-apps', private: true, type: 'module' }, null, 2));

step(`npm install in ${work}`);
// Only the npm registry and the local tarballs; no install scripts needed (onnxruntime-node is not installed at all).
const install = await run(
  'npm',
  ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, `onnxruntime-web@${ortVersion}`, ...Object.entries(PINS).map(([name, version]) => `${name}@${version}`)],
  work,
  { ONNXRUNTIME_NODE_INSTALL: 'skip', NEXT_TELEMETRY_DISABLED: '1' },
  600_000,
);
if (!check(install.code === 0, 'npm install', `npm install: exit ${install.code}\n${tail(install.output)}`)) finish();

// The model and the audio every page reads, and the answers Node gives.
const vadPath = join(ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const samples = Float32Array.from(chirp(8));
const nodeAnswer = await vadOnNode(samples);

async function vadOnNode(audio: Float32Array): Promise<number[]> {
  await using model = await loadModel(vadPath, { backend: 'onnx-node', device: 'cpu' });
  let state: Tensor = new Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const sr = new Tensor('int64', [16000n], []);
  const probabilities: number[] = [];
  for (let f = 0; f < audio.length / 512; f++) {
    const out = await model.run({ input: new Tensor('float32', audio.slice(f * 512, (f + 1) * 512), [1, 512]), state, sr });
    probabilities.push((out['output']!.data as Float32Array)[0]!);
    state = out['stateN']!;
  }
  return probabilities;
}

async function addAssets(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(vadPath, join(dir, 'silero_vad_v5.onnx'));
  await writeFile(join(dir, 'audio.f32'), new Uint8Array(samples.buffer));
}

/** The HTML page of a static app: one module script. */
const html = (title: string, script: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head><body><script type="module" src="./${script}"></script></body></html>`;

// ---------------------------------------------------------------------------------------
// Building: each bundler as its README section says.

const bin = (path: string): string => join(work, 'node_modules', path);
const BUILD: Record<Bundler, { argv: string[]; out: string }> = {
  vite: { argv: [bin('vite/bin/vite.js'), 'build'], out: 'dist' },
  webpack: { argv: [bin('webpack-cli/bin/cli.js'), '--config', 'webpack.config.mjs'], out: 'dist' },
  rollup: { argv: [bin('rollup/dist/bin/rollup'), '-c', 'rollup.config.mjs'], out: 'dist' },
  esbuild: { argv: ['build.mjs'], out: 'dist' },
  next: { argv: [bin('next/dist/bin/next'), 'build'], out: '.next' },
};

async function build(bundler: Bundler): Promise<boolean> {
  const cwd = join(work, bundler);
  if (bundler === 'next') await addAssets(join(cwd, 'public'));
  const started = performance.now();
  const r = await run(process.execPath, BUILD[bundler].argv, cwd, { NEXT_TELEMETRY_DISABLED: '1' }, 600_000);
  console.log(`${bundler}: build exit ${r.code} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const peers = bundler === 'next' && /Can't resolve '(onnxruntime-node|@tensorflow\/[^']+)'/.test(plain(r.output))
    ? "\n  -> the server bundle (server components, and the server render of client components) resolves inproc's node entry, whose optional peers must not be imports a bundler has to resolve (issue 23, point 1)"
    : '';
  if (!check(r.code === 0, `${bundler}: builds`, `${bundler}: the build fails (exit ${r.code}):\n${why(r.output)}${peers}`)) return false;
  if (bundler !== 'next' && bundler !== 'vite') {
    const out = join(cwd, 'dist');
    await writeFile(join(out, 'index.html'), html('inproc', 'main.js'));
    await writeFile(join(out, 'worker.html'), html('inproc in a worker', 'worker-page.js'));
    await writeFile(join(out, 'raw.html'), html('onnxruntime-web', 'raw.js'));
  }
  if (bundler !== 'next') await addAssets(join(cwd, 'dist'));
  return true;
}

// ---------------------------------------------------------------------------------------
// Running: a page in Chromium, its answer, what it downloaded.

interface PageRun {
  readonly result: { ok: boolean; error?: string; device?: string; backend?: string; isolation?: string; probabilities?: number[] } | undefined;
  readonly errors: string[];
  /** Bytes downloaded by the page (same origin): JS as sent, JS gzipped, wasm. */
  readonly js: number;
  readonly gzip: number;
  readonly wasm: number;
  readonly files: string[];
}

async function openApp(browser: Browser, url: string): Promise<PageRun> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const responses: Response[] = [];
  const origin = new URL(url).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.url().startsWith(origin)) responses.push(r);
  });
  let result: PageRun['result'];
  try {
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { __bundlerResult?: unknown }).__bundlerResult !== undefined, undefined, { timeout: 120_000 });
    result = await page.evaluate(() => (globalThis as unknown as { __bundlerResult: PageRun['result'] }).__bundlerResult);
  } catch (error) {
    result = { ok: false, error: `the page gave no answer: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  let js = 0;
  let gzip = 0;
  let wasm = 0;
  const files: string[] = [];
  const seen = new Set<string>();
  for (const r of responses) {
    const path = new URL(r.url()).pathname;
    if (seen.has(path) || r.status() !== 200) continue;
    seen.add(path);
    const type = r.headers()['content-type'] ?? '';
    if (/\.m?js$/.test(path) || type.includes('javascript')) {
      const body = await r.body().catch(() => undefined);
      if (body === undefined) continue;
      js += body.byteLength;
      gzip += gzipSync(body, { level: 9 }).byteLength;
      files.push(path);
    } else if (path.endsWith('.wasm')) {
      // Streamed to WebAssembly.instantiateStreaming, the body may not be kept: asked again when the length is not given.
      const length = Number(r.headers()['content-length'] ?? NaN);
      wasm += Number.isFinite(length) ? length : (await (await fetch(r.url())).arrayBuffer()).byteLength;
      files.push(path);
    }
  }
  await context.close();
  return { result, errors, js, gzip, wasm, files };
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/** Checks one page's answer against Node's; returns whether it passed. */
function checkAnswer(label: string, run: PageRun, expected: { backend: string; isolation: string }): boolean {
  const r = run.result;
  if (r?.ok !== true) return check(false, `${label}: ${r?.error ?? 'no result'}${run.errors.length > 0 ? `\n  console: ${run.errors.slice(0, 5).join('\n  console: ')}` : ''}`);
  const diff = maxDiff(r.probabilities ?? [], nodeAnswer);
  return check(
    r.device === 'wasm' && r.backend === expected.backend && r.isolation === expected.isolation && diff < 1e-3,
    `${label}: ran on ${r.backend}/${r.device} (isolation ${r.isolation}), speech probabilities within ${diff.toExponential(1)} of onnx-node's (expected ${expected.backend}/wasm, isolation ${expected.isolation}, within 1e-3)`,
  );
}

/** A free localhost port (found, then released) for `next start`. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise((ok) => server.close(ok));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `next start` until it answers; `stop()` ends it. */
async function startNext(cwd: string): Promise<{ url: string; stop(): void; output(): string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin('next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://localhost:${port}/`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(url).then((r) => r.status > 0, () => false)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => child.kill(), output: () => output };
}

interface SizeRow {
  readonly bundler: Bundler;
  readonly inproc: PageRun;
  readonly raw: PageRun;
}
const sizes: SizeRow[] = [];

async function runApps(bundler: Bundler, browser: Browser): Promise<void> {
  const cwd = join(work, bundler);
  let base: string;
  let stop: () => Promise<void> | void;
  let next: Awaited<ReturnType<typeof startNext>> | undefined;
  if (bundler === 'next') {
    next = await startNext(cwd);
    base = next.url;
    stop = next.stop;
  } else {
    const server = await serveStatic(join(cwd, 'dist'));
    base = server.url;
    stop = () => server.close();
  }
  try {
    const pages = bundler === 'next' ? { inproc: 'vad', raw: 'raw', worker: undefined } : { inproc: 'index.html', raw: 'raw.html', worker: 'worker.html' };
    const inproc = await openApp(browser, base + pages.inproc);
    checkAnswer(`${bundler}: inproc in the page`, inproc, { backend: 'onnx-web', isolation: 'none' });
    const raw = await openApp(browser, base + pages.raw);
    checkAnswer(`${bundler}: raw onnxruntime-web (the size baseline)`, raw, { backend: 'onnxruntime-web', isolation: 'none' });
    if (inproc.result?.ok === true && raw.result?.ok === true) sizes.push({ bundler, inproc, raw });
    if (pages.worker !== undefined) {
      const worker = await openApp(browser, base + pages.worker);
      checkAnswer(`${bundler}: inproc with isolation 'worker'`, worker, { backend: 'onnx-web', isolation: 'worker' });
    }
    if (bundler === 'next') {
      const response = await fetch(base);
      const text = await response.text();
      const shown = /<pre id="server">([^<]*)<\/pre>/.exec(text)?.[1]?.replaceAll('&quot;', '"');
      let facts: { backends?: string[]; size?: number } = {};
      try {
        facts = JSON.parse(shown ?? '{}') as typeof facts;
      } catch {
        // reported below
      }
      check(response.status === 200 && facts.size === 3 && facts.backends?.includes('onnx-node') === true, `next: a server component importing inproc renders in Node (HTTP ${response.status}: ${shown ?? tail(text, 5)})`);
    }
  } finally {
    await stop();
    if (next !== undefined && failures.some((f) => f.startsWith('next:'))) console.log(`next start said:\n${tail(next.output(), 20)}`);
  }
}

// ---------------------------------------------------------------------------------------

const skip = chromiumSkipReason();
let browser: Browser | undefined;
try {
  if (skip !== undefined) console.log(`${skip}: the apps are built but not run`);
  else browser = await launchChromium();
  for (const bundler of chosen) {
    step(bundler);
    if (!(await build(bundler)) || browser === undefined) continue;
    await runApps(bundler, browser);
  }
} finally {
  await browser?.close();
}

if (sizes.length > 0 && args['no-table'] !== true) await writeTable();
finish();

async function writeTable(): Promise<void> {
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  const rows = sizes.map(
    ({ bundler, inproc, raw }) =>
      `| ${bundler} | ${kib(raw.js)} | ${kib(inproc.js)} | **${kib(inproc.js - raw.js)}** | ${kib(raw.gzip)} | ${kib(inproc.gzip)} | **${kib(inproc.gzip - raw.gzip)}** | ${mib(raw.wasm)} | ${mib(inproc.wasm)} |`,
  );
  // Rows of bundlers not run this time are kept from the last table.
  const old = existsSync(TABLE) ? await readFile(TABLE, 'utf8') : '';
  const kept = old.split('\n').filter((line) => BUNDLERS.some((b) => line.startsWith(`| ${b} |`) && !sizes.some((s) => s.bundler === b)));
  const order = (line: string): number => BUNDLERS.findIndex((b) => line.startsWith(`| ${b} |`));
  const table = [...rows, ...kept].sort((a, b) => order(a) - order(b));
  await writeFile(
    TABLE,
    `# Bundle sizes: inproc vs raw onnxruntime-web, per bundler

Written by \`test/bundlers/run.ts\` (\`npm run check:bundlers\`). Each bundler builds two
pages from the packed tarballs: Silero VAD v5 through \`inproc\` (device \`wasm\`, in the page),
and the same work with \`onnxruntime-web\` alone. The figures are what Chromium downloaded for
each page (same-origin JS as served, that JS gzipped at level 9, and \`.wasm\`); the overhead
is inproc's page minus the raw page. Next.js pages include the framework's own chunks (React,
the router), the same on both pages. onnxruntime-web ${ortVersion}; ${Object.entries(PINS)
      .filter(([n]) => BUNDLERS.includes(n as Bundler))
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}.

Last run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (sizes do not depend on load).

| bundler | raw JS KiB | inproc JS KiB | overhead KiB | raw gzip KiB | inproc gzip KiB | overhead gzip KiB | raw wasm MiB | inproc wasm MiB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${table.join('\n')}
`,
  );
  console.log(`\nwrote ${TABLE}:\n${table.join('\n')}`);
}

function finish(): never {
  console.log(`\n${((performance.now() - startedAt) / 1000).toFixed(0)} s in all, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\n${passed.length} check(s) passed:\n  ${passed.map((p) => p.split('\n')[0]).join('\n  ')}`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} failure(s):\n\n${failures.join('\n\n')}`);
    process.exit(1);
  }
  console.log('\nok: every bundler builds and runs inproc in Chromium with the answers of Node');
  process.exit(0);
}
