/**
 * `GET /v2/health/live` latency of an `inproc serve` subprocess while it decodes a large
 * JSON inference request (issue 20: liveness within 100 ms during a 64 MiB decode),
 * against the same probe on the idle server in the same run. The request: ~60 MB of JSON
 * tensor data (15 M float32 elements) for an Identity model, binary output. Probes go out
 * every 5 ms on their own keep-alive connection while the request is in flight.
 *
 *   npx tsx server/liveness.ts [--quick] [--json]
 */
import { request, Agent } from 'node:http';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { identityModel } from '@inproc/testkit/onnx/models';
import { serveProcess } from '@inproc/testkit/serve-process';
import { machine } from '../lib/environment.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const elements = values.quick ? 4_000_000 : 15_000_000;
const rounds = values.quick ? 1 : 3;

const root = await mkdtemp(join(tmpdir(), 'inproc-bench-liveness-'));
await mkdir(join(root, 'identity', '1'), { recursive: true });
await writeFile(join(root, 'identity', '1', 'model.onnx'), identityModel(['float32']));
const server = await serveProcess(root, ['--max-body-bytes', String(64 << 20)], { stderr: 'inherit' });
const url = server.url;

const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
function probe(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(`${url}/v2/health/live`, { agent: probeAgent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    })
      .on('error', reject)
      .end();
  });
}

function infer(body: Buffer): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v2/models/identity/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.byteLength } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const body = Buffer.from(
  `{"inputs":[{"name":"x_float32","shape":[${elements}],"datatype":"FP32","data":[${Array.from({ length: elements }, (_, i) => ((i % 997) / 8).toString()).join(',')}]}],"outputs":[{"name":"y_float32","parameters":{"binary_data":true}}]}`,
);

const idle: number[] = [];
for (let i = 0; i < 200; i++) idle.push(await probe());
const during: number[] = [];
const requestMs: number[] = [];
for (let round = 0; round < rounds; round++) {
  let done = false;
  const call = infer(body).then((r) => {
    done = true;
    if (r.status !== 200) throw new Error(`infer answered ${r.status}`);
    requestMs.push(r.ms);
  });
  while (!done) {
    during.push(await probe());
    await new Promise((r) => setTimeout(r, 5));
  }
  await call;
}
await server.stop();

const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { n: xs.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 };
};
const result = { machine: machine(), loadavg: loadavg(), bodyBytes: body.byteLength, requestMs, idle: summary(idle), duringDecode: summary(during) };
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`liveness probe while inproc serve decodes a ${(body.byteLength / 2 ** 20).toFixed(1)} MiB JSON request (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  console.log(`request: ${requestMs.map((m) => m.toFixed(0)).join(', ')} ms`);
  for (const [label, s] of [['idle', result.idle], ['during', result.duringDecode]] as const) console.log(`${label.padEnd(7)} n=${s.n} p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(2)} ms`);
  console.log(`max during / p50 idle: ${(result.duringDecode.max / result.idle.p50).toFixed(1)}x`);
}
