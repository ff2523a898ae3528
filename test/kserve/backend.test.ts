/**
 * The kserve backend against `inproc serve` (in this process, and as subprocesses) over
 * real HTTP on loopback: every dtype in binary and JSON, signatures with named
 * dimensions, the Model API's options on top (batching, cache, priorities, timeouts,
 * metrics), aborts that cancel the HTTP request, error codes from the server and from
 * servers that only send a status (a gateway), auth headers, a server restarting during
 * a load, replicas stopped mid-run without losing a call, and 1,000 concurrent calls.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, type InprocError, type DType, type Model, Tensor, loadModel, resources } from 'inproc';
import { ServerError } from '@inproc/kserve';
import { serve, type InprocServer } from '@inproc/server';
import { code } from '../helpers/errors.js';
import { identityModel, mlpModel, mlpReference, multiIoModel, rowSumModel, slowModel } from '@inproc/testkit/onnx/models';
import { serveProcess, tempRepository } from './helpers.js';

let root: string;
let server: InprocServer;
let before: ReturnType<typeof resources>;

beforeAll(async () => {
  before = resources();
  root = await tempRepository({ identity: identityModel(), mlp: mlpModel(256), multi: multiIoModel(), rows: rowSumModel(), slow: slowModel({ depth: 20 }) });
  server = await serve(root, { port: 0, preload: true });
});

afterAll(async () => {
  await server?.close();
  expect(resources()).toEqual(before);
});

const url = (name: string): string => `${server.url}/v2/models/${name}`;
const infers = (s: InprocServer = server): number => Object.entries(s.stats().responses).filter(([k]) => k.startsWith('infer ')).reduce((n, [, v]) => n + v, 0);

function mlpInput(batch: number, seed = 0): Tensor<'float32'> {
  return new Tensor('float32', new Float32Array(batch * 256).map((_, i) => Math.sin(i * 0.37 + seed)), [batch, 256]);
}

function expectMlp(y: Tensor | undefined, x: Tensor<'float32'>): void {
  const reference = mlpReference(x.data, x.shape[0]!, 256);
  const got = y!.data as Float32Array;
  expect(got.length).toBe(reference.length);
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - reference[i]!));
  expect(diff).toBeLessThan(1e-3);
}

const SAMPLES: Record<DType, readonly unknown[]> = {
  float32: [1.5, -2.25, 3.4028234663852886e38, Number.NaN, Number.NEGATIVE_INFINITY],
  float16: [0x3c00, 0xc000, 0x7bff, 0x7e00, 0],
  float64: [Math.PI, -1e300, Number.MIN_VALUE, Number.POSITIVE_INFINITY, 0],
  int8: [-128, 127, 0, 1, -1],
  uint8: [0, 255, 7, 128, 1],
  int16: [-32768, 32767, 1, 0, -2],
  uint16: [0, 65535, 2, 1, 3],
  int32: [-2147483648, 2147483647, 3, 0, -1],
  uint32: [0, 4294967295, 4, 1, 2],
  int64: [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, 0n, -1n],
  uint64: [0n, 2n ** 64n - 1n, 2n ** 53n + 1n, 1n, 6n],
  bool: [true, false, true, true, false],
  string: ['héllo', '', 'wörld ✓', '{"json":[1,2]}', '\n"\t'],
};

describe.each(['binary', 'json'] as const)('every dtype, %s', (protocol) => {
  it('round-trips each dtype exactly through the server (FP16, INT64, BOOL, BYTES included)', async () => {
    await using model = await loadModel(url('identity'), { backend: 'kserve', backendOptions: { protocol } });
    const feeds = Object.fromEntries(DTYPES.map((d) => [`x_${d}`, new Tensor(d, SAMPLES[d] as never, [5])]));
    const out = await model.run(feeds);
    for (const dtype of DTYPES) {
      const y = out[`y_${dtype}`]!;
      expect(y.dtype, dtype).toBe(dtype);
      expect(y.shape).toEqual([5]);
      expect(Array.from(y.data as ArrayLike<unknown>).map(String), dtype).toEqual(Array.from(feeds[`x_${dtype}`]!.data as ArrayLike<unknown>).map(String));
    }
    const one = await model.run(feeds, { outputs: ['y_int64'] });
    expect(Object.keys(one)).toEqual(['y_int64']);
  });
});

describe('the Model API over the protocol', () => {
  it('reports the backend, the remote device, the format and the signature with symbolic names', async () => {
    await using model = await loadModel(url('multi'), { backend: 'kserve' });
    expect([model.backend, model.device, model.format]).toEqual(['kserve', 'remote', 'onnx']);
    expect(model.signature.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual([
      ['a', 'float32', ['batch', 4]],
      ['ids', 'int64', ['batch', 3]],
      ['mask', 'bool', ['batch', 3]],
    ]);
    // Symbolic names are checked here, before any request.
    const requests = infers();
    const e = await model.run({ a: new Tensor('float32', new Float32Array(8), [2, 4]), ids: new Tensor('int64', new BigInt64Array(9), [3, 3]), mask: new Tensor('bool', new Uint8Array(6), [2, 3]) }).catch((error: unknown) => error as InprocError);
    expect(e).toMatchObject({ code: 'INPUT_SHAPE', message: expect.stringContaining('batch') });
    expect(infers()).toBe(requests);
  });

  it('loads a version by URL, and a model that is not there is MODEL_NOT_FOUND', async () => {
    await using v1 = await loadModel(`${url('mlp')}/versions/1`, { backend: 'kserve' });
    const x = mlpInput(2);
    expectMlp((await v1.run({ x }))['y'], x);
    expect(await code(loadModel(url('nope'), { backend: 'kserve' }))).toBe('MODEL_NOT_FOUND');
    expect(await code(loadModel(`${url('mlp')}/versions/9`, { backend: 'kserve' }))).toBe('VERSION_NOT_FOUND');
    expect(await code(loadModel(`${server.url}/v2/nothing/mlp`, { backend: 'kserve' }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(new Uint8Array(mlpModel(8)), { backend: 'kserve' }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(url('mlp'), { backend: 'kserve', isolation: 'worker' }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(url('mlp'), { backend: 'kserve', backendOptions: { protocol: 'grpc' } }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(url('mlp'), { backend: 'kserve', backendOptions: { replicas: ['ftp://x'] } }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(url('mlp'), { backend: 'kserve', device: 'cuda' }))).toBe('DEVICE_UNAVAILABLE');
  });

  it('batches concurrent calls into one request, answers repeats from the cache, and counts them in stats', async () => {
    await using model = await loadModel(url('rows'), { backend: 'kserve', batching: { maxBatchSize: 64, maxDelayMs: 5 }, cache: { maxBytes: 1 << 20 } });
    const requests = infers();
    const xs = Array.from({ length: 16 }, (_, i) => new Tensor('float32', [i, i + 1, i + 2], [1, 3]));
    const outs = await Promise.all(xs.map((x) => model.run({ x })));
    outs.forEach((o, i) => expect([...(o['y']!.data as Float32Array)]).toEqual([3 * i + 3]));
    const sent = infers() - requests;
    expect(sent).toBeLessThan(16);
    const again = await model.run({ x: xs[3]! });
    expect([...(again['z']!.data as Float32Array)]).toEqual([9, 12, 15]);
    expect(infers() - requests).toBe(sent); // a cache hit sends nothing
    const stats = model.stats();
    expect(stats.requests).toBe(17);
    expect(stats.cache?.hits).toBe(1);
  });

  it('runs higher priorities first among queued calls', async () => {
    await using model = await loadModel(url('slow'), { backend: 'kserve', concurrency: 1 });
    const x = new Tensor('float32', new Float32Array(512).fill(0.01), [1, 512]);
    const order: string[] = [];
    const first = model.run(x).then(() => order.push('first'));
    const low = model.run(x, { priority: 0 }).then(() => order.push('low'));
    const high = model.run(x, { priority: 5 }).then(() => order.push('high'));
    await Promise.all([first, low, high]);
    expect(order).toEqual(['first', 'high', 'low']);
  });

  it('aborts a call mid-request: the HTTP request is cancelled, the server drops the call and stays up', async () => {
    // A server process whose inference runs in a worker thread, so that it answers /metrics while a model runs.
    const remote = await serveProcess(root, ['--workers', '1']);
    try {
      await using model = await loadModel(`${remote.url}/v2/models/slow`, { backend: 'kserve' });
      const x = new Tensor('float32', new Float32Array(512).fill(0.01), [1, 512]);
      const gauge = async (name: string): Promise<number> => Number(new RegExp(`^${name}\\{model="slow@1"[^}]*\\} (\\d+)$`, 'm').exec(await (await fetch(`${remote.url}/metrics`)).text())?.[1] ?? 0);
      const first = model.run(x);
      const controller = new AbortController();
      const second = model.run(x, { signal: controller.signal });
      // The first runs on the server, the second waits in the server's queue behind it.
      while ((await gauge('inproc_queued')) < 1) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      expect(await code(second)).toBe('ABORTED');
      expect((await first)['y']!.shape).toEqual([1, 512]);
      while ((await gauge('inproc_request_failures_total')) < 1) await new Promise((r) => setTimeout(r, 5));
      expect(await (await fetch(`${remote.url}/metrics`)).text()).toMatch(/inproc_request_failures_total\{model="slow@1"[^}]*code="ABORTED"\} 1/);
      expect(await code(model.run(x, { timeoutMs: 1 }))).toBe('TIMEOUT');
      expect((await model.run(x))['y']!.shape).toEqual([1, 512]);
    } finally {
      expect(await remote.stop()).toBe(0);
    }
  });

  it('leaves resources where they were after load/run/dispose cycles', async () => {
    const start = resources();
    for (let i = 0; i < 10; i++) {
      await using model = await loadModel(url('mlp'), { backend: 'kserve' });
      await model.run({ x: mlpInput(1) });
    }
    expect(resources()).toEqual(start);
  });
});

/** A gateway in front of a server: answers as `answer` says, or forwards (headers and body) to `target`. */
async function gateway(target: string, answer: (request: IncomingMessage) => { status: number; body: string } | undefined): Promise<{ url: string; server: Server; seen: IncomingMessage['headers'][] }> {
  const seen: IncomingMessage['headers'][] = [];
  const http = createServer((request, response) => {
    seen.push(request.headers);
    const own = answer(request);
    if (own !== undefined) {
      request.resume();
      response.writeHead(own.status, { 'content-type': 'application/json' }).end(own.body);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const key of ['content-type', 'inference-header-content-length']) if (typeof request.headers[key] === 'string') headers[key] = request.headers[key];
      fetch(`${target}${request.url ?? ''}`, { method: request.method ?? 'GET', headers, ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (r) => {
          const out: Record<string, string> = {};
          r.headers.forEach((v, k) => (k === 'content-length' || k === 'content-encoding' || k === 'connection' || k === 'keep-alive' ? undefined : (out[k] = v))); // fetch inflated the body
          response.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, server: http, seen };
}

describe('errors, auth and servers other than inproc serve', () => {
  it('sends auth headers on every request; without them the gateway says 401 and the load fails', async () => {
    const gw = await gateway(server.url, (r) => (r.headers['authorization'] === 'Bearer t0k3n' ? undefined : { status: 401, body: '{"error":"missing token"}' }));
    try {
      const e = await loadModel(`${gw.url}/v2/models/mlp`, { backend: 'kserve' }).catch((error: unknown) => error as InprocError);
      expect(e).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('missing token') });
      await using model = await loadModel(`${gw.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { headers: { authorization: 'Bearer t0k3n' } } });
      const x = mlpInput(3);
      expectMlp((await model.run({ x }))['y'], x);
      expect(gw.seen.slice(-2).every((h) => h['authorization'] === 'Bearer t0k3n')).toBe(true);
    } finally {
      gw.server.close();
    }
  });

  it('maps statuses without an Inproc code (as Triton answers) and keeps the message and the response as cause', async () => {
    let status = 400;
    const gw = await gateway(server.url, (r) => (r.url?.endsWith('/infer') === true ? { status, body: JSON.stringify({ error: `triton says ${status}` }) } : undefined));
    try {
      await using model = await loadModel(`${gw.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { retries: 1, retryDelayMs: 1 } });
      const expected: [number, string][] = [
        [400, 'INPUT_INVALID'],
        [404, 'MODEL_NOT_FOUND'],
        [413, 'LIMIT_EXCEEDED'],
        [500, 'RUN_FAILED'],
        [503, 'QUEUE_FULL'],
        [504, 'TIMEOUT'],
      ];
      for (const [s, c] of expected) {
        status = s;
        const e = (await model.run({ x: mlpInput(1) }).catch((error: unknown) => error)) as InprocError;
        expect(e.code, String(s)).toBe(c);
        expect(e.message).toContain(`triton says ${s}`);
        expect(e.cause).toBeInstanceOf(ServerError);
        expect((e.cause as ServerError).status).toBe(s);
      }
    } finally {
      gw.server.close();
    }
  });

  it('a server that cannot be reached: MODEL_NOT_FOUND after the retries', async () => {
    const closed = await serve(root, { port: 0 });
    const where = closed.url;
    await closed.close();
    const e = await loadModel(`${where}/v2/models/mlp`, { backend: 'kserve', backendOptions: { retries: 2, retryDelayMs: 5 } }).catch((error: unknown) => error as InprocError);
    expect(e).toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/cannot reach .*after 3 attempts/) });
  });
});

describe('restarts, replicas and load', () => {
  it('loads while the server restarts: connection failures are retried with back-off', async () => {
    const first = await serve(root, { port: 0 });
    const port = first.port;
    await first.close();
    const loading = loadModel(`http://127.0.0.1:${port}/v2/models/mlp`, { backend: 'kserve', backendOptions: { retries: 8, retryDelayMs: 50 } });
    await new Promise((r) => setTimeout(r, 150));
    const again = await serve(root, { port });
    try {
      await using model = await loading;
      const x = mlpInput(2);
      expectMlp((await model.run({ x }))['y'], x);
    } finally {
      await again.close();
    }
  });

  it('two replicas, one shut down gracefully mid-run: every call answered, the rest go to the other', async () => {
    const a = await serve(root, { port: 0 });
    const b = await serve(root, { port: 0 });
    try {
      await using model = await loadModel(`${a.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { replicas: [b.url], healthCheckIntervalMs: 50 } });
      const inputs = Array.from({ length: 200 }, (_, i) => mlpInput(1, i));
      let done = 0;
      const calls = inputs.map((x) => model.run({ x }).then((out) => (done++, out)));
      while (done < 40) await new Promise((r) => setTimeout(r, 1));
      const stopping = a.close();
      const outs = await Promise.all(calls);
      await stopping;
      outs.forEach((out, i) => expectMlp(out['y'], inputs[i]!));
      expect(infers(a)).toBeGreaterThan(0);
      expect(infers(b)).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two replica processes, one killed (SIGKILL) mid-run: no call is lost', async () => {
    const a = await serveProcess(root);
    const b = await serveProcess(root);
    try {
      await using model = await loadModel(`${a.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { replicas: [b.url], healthCheckIntervalMs: 100 } });
      const inputs = Array.from({ length: 300 }, (_, i) => mlpInput(1, i));
      let done = 0;
      const calls = inputs.map((x) => model.run({ x }).then((out) => (done++, out)));
      while (done < 60) await new Promise((r) => setTimeout(r, 1));
      await a.stop('SIGKILL');
      const outs = await Promise.all(calls);
      outs.forEach((out, i) => expectMlp(out['y'], inputs[i]!));
    } finally {
      await a.stop();
      expect(await b.stop()).toBe(0);
    }
  });

  it('1,000 concurrent calls: queued on the client, at most its concurrency in flight on the server, all answered', async () => {
    const busy = await serve(root, { port: 0, maxInflight: 8 });
    try {
      await using model = await loadModel(`${busy.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { concurrency: 8 } });
      const inputs = Array.from({ length: 1000 }, (_, i) => mlpInput(1, i));
      const outs = await Promise.all(inputs.map((x) => model.run({ x })));
      outs.forEach((out, i) => expectMlp(out['y'], inputs[i]!));
      expect(busy.stats().peakInflight).toBeLessThanOrEqual(8);
      expect(busy.stats().rejectedBusy).toBe(0);
      // With a bounded client queue, calls beyond it fail at once with QUEUE_FULL instead of piling up.
      await using bounded = await loadModel(`${busy.url}/v2/models/mlp`, { backend: 'kserve', maxQueue: 100, backendOptions: { concurrency: 8 } });
      const codes = await Promise.all(inputs.map((x) => bounded.run({ x }).then(() => 'ok', (e: unknown) => (e as InprocError).code)));
      expect(codes.filter((c) => c === 'ok').length).toBe(108);
      expect(codes.filter((c) => c === 'QUEUE_FULL').length).toBe(892);
    } finally {
      await busy.close();
    }
  });

  it('a client with more concurrency than the server admits: 503s are retried until answered', async () => {
    // One slot: a request read while another runs is refused (the server takes a slot only once a body is read).
    const busy = await serve(root, { port: 0, maxInflight: 1 });
    try {
      await using model: Model = await loadModel(`${busy.url}/v2/models/mlp`, { backend: 'kserve', backendOptions: { concurrency: 6, retries: 100, retryDelayMs: 2, maxRetryDelayMs: 50 } });
      const inputs = Array.from({ length: 60 }, (_, i) => mlpInput(1, i));
      const outs = await Promise.all(inputs.map((x) => model.run({ x })));
      outs.forEach((out, i) => expectMlp(out['y'], inputs[i]!));
      expect(busy.stats().peakInflight).toBeLessThanOrEqual(1);
      expect(busy.stats().rejectedBusy).toBeGreaterThan(0);
    } finally {
      await busy.close();
    }
  });
});
