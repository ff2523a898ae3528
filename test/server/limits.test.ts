/**
 * No client behaviour grows the server's memory or holds its slots beyond the configured
 * limits: silent connections are closed (the header timeout runs from connection), slow
 * bodies get 408 (timeouts checked each second, not each 30 s), a trickling body holds no
 * inference slot, bodies held together stay under `maxBodiesBytes`, unread answers under
 * `maxUnreadResponseBytes` and `writeTimeoutMs`, compressed bodies inflate under
 * `maxBodyBytes` (a zip bomb is a 413), and deeply nested JSON is a 400. Short timeouts so
 * that the tests run in seconds; no assertion on how long anything took.
 */
import { gunzipSync, gzipSync, deflateSync, inflateSync } from 'node:zlib';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resources } from 'inproc';
import { serve, type InprocServer } from '@inproc/server';
import { identityModel, mlpModel, slowModel } from '@inproc/testkit/onnx/models';
import { http, tempRepository } from '../kserve/helpers.js';
import { binaryFp32Request, closed, openSocket, parseResponse, readAll, requestHead, sleep, until } from './raw-http.js';

let root: string;
let before: ReturnType<typeof resources>;
const servers: InprocServer[] = [];
let sockets: Socket[] = [];

beforeAll(async () => {
  before = resources();
  root = await tempRepository({ identity: identityModel(['float32']), mlp: mlpModel(256), slow: slowModel({ depth: 20 }) });
});
afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
});
afterAll(async () => {
  for (const server of servers) await server.close();
  expect(resources()).toEqual(before);
});

async function start(options: Parameters<typeof serve>[1]): Promise<InprocServer> {
  const server = await serve(root, { port: 0, ...options });
  servers.push(server);
  return server;
}
async function socketTo(server: InprocServer): Promise<Socket> {
  const socket = await openSocket(server.url);
  sockets.push(socket);
  return socket;
}
const mlpBody = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: new Array(256).fill(0.5) }] });
const inferMlp = (server: InprocServer, init: RequestInit = {}) => http(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body: mlpBody, ...init });

describe('connections and timeouts', () => {
  it('closes connections that never send a byte, and serves real requests meanwhile', async () => {
    const server = await start({ headersTimeoutMs: 300 });
    const silent = await Promise.all(Array.from({ length: 20 }, () => socketTo(server)));
    for (const socket of silent) socket.resume(); // reads, so that the server's end is seen
    expect((await inferMlp(server)).status).toBe(200);
    await Promise.all(silent.map(closed));
    expect(server.stats().silentConnectionsClosed).toBe(20);
  });

  it('answers a body that trickles past requestTimeoutMs with 408, checked within a second', async () => {
    const server = await start({ requestTimeoutMs: 400, headersTimeoutMs: 400 });
    const socket = await socketTo(server);
    const received = readAll(socket);
    socket.write(requestHead('POST', '/v2/models/mlp/infer', { 'content-type': 'application/json' }, mlpBody.length));
    for (let i = 0; i < 40 && !socket.closed; i++) {
      socket.write(mlpBody[i]!);
      await sleep(100);
    }
    const answer = parseResponse(await received);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: 'TIMEOUT' });
  });

  it('takes an inference slot only once the whole body is read: maxInflight trickling clients do not block real requests', async () => {
    const server = await start({ maxInflight: 2 });
    for (let i = 0; i < 2; i++) {
      const socket = await socketTo(server);
      socket.write(requestHead('POST', '/v2/models/mlp/infer', { 'content-type': 'application/json' }, mlpBody.length));
      socket.write(mlpBody.slice(0, 10));
    }
    await until(() => server.stats().bodyBytesHeld > 0, 'the trickling bodies are being read');
    const answers = await Promise.all([inferMlp(server), inferMlp(server)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(server.stats().rejectedBusy).toBe(0);
  });
});

describe('memory held for clients', () => {
  it('keeps the bodies held together under maxBodiesBytes: 503 LIMIT_EXCEEDED, then room again once they are gone', async () => {
    const server = await start({ maxBodyBytes: 1 << 20, maxBodiesBytes: 1 << 20 });
    const big = binaryFp32Request('x', [1, 256]); // only its head matters: the declared length is 800 KiB
    const holder = await socketTo(server);
    holder.write(requestHead('POST', '/v2/models/mlp/infer', big.head, 800 << 10));
    holder.write(Buffer.alloc(1000));
    await until(() => server.stats().bodyBytesHeld >= 800 << 10, 'the first body is held');
    const refused = await http(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body: new Uint8Array(800 << 10), headers: { 'inference-header-content-length': '0' } });
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: 'LIMIT_EXCEEDED', error: expect.stringContaining('maxBodiesBytes') });
    expect(server.stats().peakBodyBytesHeld).toBeLessThanOrEqual(1 << 20);
    holder.destroy();
    await until(() => server.stats().bodyBytesHeld === 0, 'the held body is given back');
    expect((await inferMlp(server)).status).toBe(200);
  });

  /** Sends a 16 MiB answer's request from a client that reads one chunk of it and then nothing; its socket. */
  async function unreadBigAnswer(server: InprocServer): Promise<Socket> {
    const socket = await socketTo(server);
    const { head, body } = binaryFp32Request('x_float32', [4 << 20], 'y_float32');
    socket.on('data', () => socket.pause());
    socket.write(requestHead('POST', '/v2/models/identity/infer', head, body.byteLength));
    socket.write(body);
    await until(() => server.stats().unreadResponseBytes > 0, 'the big answer is being written');
    return socket;
  }

  it('refuses inference with 503 while clients leave more than maxUnreadResponseBytes unread', async () => {
    const server = await start({ maxBodyBytes: 64 << 20, maxUnreadResponseBytes: 1 << 20, writeTimeoutMs: 600_000 });
    await unreadBigAnswer(server);
    const refused = await inferMlp(server);
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: 'QUEUE_FULL', error: expect.stringContaining('maxUnreadResponseBytes') });
    expect(server.stats().unreadResponseBytes).toBeGreaterThan(1 << 20);
  });

  it('counts an answer queued behind an unread one on its connection (pipelining), and frees both with the connection', async () => {
    const server = await start({ maxBodyBytes: 64 << 20, writeTimeoutMs: 600_000 });
    const socket = await unreadBigAnswer(server);
    const big = server.stats().unreadResponseBytes;
    // The next request on the same connection: its answer waits in the server behind the unread one.
    socket.write(requestHead('POST', '/v2/models/mlp/infer', { 'content-type': 'application/json' }, mlpBody.length));
    socket.write(mlpBody);
    await until(() => server.stats().responses['infer 200'] === 2, 'the queued answer is written');
    expect(server.stats().unreadResponseBytes).toBeGreaterThan(big);
    socket.destroy();
    await until(() => server.stats().unreadResponseBytes === 0, 'both answers are freed');
  });

  it('closes the connection of a client that reads nothing for writeTimeoutMs, and frees its answer', async () => {
    const logs: string[] = [];
    const server = await start({ maxBodyBytes: 64 << 20, maxUnreadResponseBytes: 1 << 20, writeTimeoutMs: 300, log: (l) => logs.push(l) });
    await unreadBigAnswer(server);
    await until(() => server.stats().writeTimeouts === 1, 'the write timeout closes the connection');
    expect(server.stats().unreadResponseBytes).toBe(0);
    expect(logs).toContainEqual(expect.stringContaining('writeTimeoutMs'));
    expect((await inferMlp(server)).status).toBe(200);
  });
});

describe('compressed bodies and answers', () => {
  let server: InprocServer;
  beforeAll(async () => {
    server = await start({ maxBodyBytes: 1 << 20 });
  });
  const post = (body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string>) => http(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('inflates gzip and deflate bodies (zlib and raw deflate) to the same answer as plain ones', async () => {
    const plain = await post(mlpBody, {});
    expect(plain.status).toBe(200);
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(mlpBody)],
      ['deflate', deflateSync(mlpBody)],
      ['deflate', (await import('node:zlib')).deflateRawSync(mlpBody)],
      ['GZIP', gzipSync(mlpBody)],
    ] as const) {
      const r = await post(new Uint8Array(bytes), { 'content-encoding': encoding });
      expect(r.status, encoding).toBe(200);
      expect(r.json).toEqual(plain.json);
    }
  });

  it('a zip bomb is a 413 after maxBodyBytes of inflated bytes; a corrupt body 400; an unknown encoding 415', async () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in about 64 KiB
    expect(bomb.byteLength).toBeLessThan(1 << 20);
    const r = await post(new Uint8Array(bomb), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'LIMIT_EXCEEDED', error: expect.stringContaining('gzip-inflated request body') });
    expect(server.stats().bodyBytesHeld).toBe(0);
    const corrupt = await post(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]), { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('not valid gzip') });
    for (const encoding of ['br', 'gzip, gzip', 'compress']) {
      const unknown = await post(mlpBody, { 'content-encoding': encoding });
      expect(unknown.status, encoding).toBe(415);
      expect(unknown.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('Content-Encoding') });
    }
    expect((await post(mlpBody, {})).status).toBe(200);
  });

  it('compresses answers when Accept-Encoding asks (gzip first), not otherwise', async () => {
    const raw = (acceptEncoding: string | undefined) =>
      new Promise<{ headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
        void openSocket(server.url).then((socket) => {
          sockets.push(socket);
          readAll(socket).then((bytes) => resolve(parseResponse(bytes)), reject);
          socket.write(requestHead('POST', '/v2/models/mlp/infer', { 'content-type': 'application/json', connection: 'close', ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }) }, mlpBody.length));
          socket.write(mlpBody);
        });
      });
    const plain = await raw(undefined);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await raw('deflate;q=0.5, gzip');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toBe('accept-encoding');
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    const deflated = await raw('gzip;q=0, deflate');
    expect(deflated.headers['content-encoding']).toBe('deflate');
    expect(inflateSync(deflated.body).toString()).toBe(plain.body.toString());
    expect((await raw('identity')).headers['content-encoding']).toBeUndefined();
  });

  it('answers a large binary tensor (written in parts, not joined) byte for byte, plain and gzip; binary inputs after JSON headers of every length mod 8 read right', async () => {
    const exchange = (head: Record<string, string | number>, body: Buffer, acceptEncoding?: string) =>
      new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
        void openSocket(server.url).then((socket) => {
          sockets.push(socket);
          readAll(socket).then((bytes) => resolve(parseResponse(bytes)), reject);
          socket.write(requestHead('POST', '/v2/models/identity/infer', { ...head, connection: 'close', ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }) }, body.length));
          socket.write(body);
        });
      });
    // 100 000 float32: a 400 KB output, past the size below which an answer is one buffer.
    const { head, body } = binaryFp32Request('x_float32', [100_000], 'y_float32');
    const data = body.subarray(Number(head['inference-header-content-length']));
    const plain = await exchange(head, body);
    expect(plain.status).toBe(200);
    const headerLength = Number(plain.headers['inference-header-content-length']);
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    expect(plain.body.subarray(headerLength).equals(data)).toBe(true);
    const zipped = await exchange(head, body, 'gzip');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    // The server places a body so that its binary part is aligned; every header length mod 8 (padded with spaces) gives the same answer.
    const json = body.subarray(0, Number(head['inference-header-content-length']));
    for (let extra = 0; extra < 8; extra++) {
      const padded = Buffer.concat([json, Buffer.alloc(extra, ' ')]);
      const answer = await exchange({ ...head, 'inference-header-content-length': padded.length }, Buffer.concat([padded, data]));
      expect(answer.status, `${padded.length} header bytes`).toBe(200);
      expect(answer.body.subarray(Number(answer.headers['inference-header-content-length'])).equals(data), `${padded.length} header bytes`).toBe(true);
    }
  });
});

describe('JSON', () => {
  it('answers liveness probes while it decodes a large JSON request (decoding gives the event loop turns)', async () => {
    const server = await start({ maxBodyBytes: 64 << 20 });
    const elements = 1_000_000;
    const body = `{"inputs":[{"name":"x_float32","shape":[${elements}],"datatype":"FP32","data":[${Array.from({ length: elements }, (_, i) => ((i % 997) / 8).toString()).join(',')}]}],"outputs":[{"name":"y_float32","parameters":{"binary_data":true}}]}`;
    const order: string[] = [];
    const call = http(`${server.url}/v2/models/identity/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => {
      order.push(`infer ${r.status}`);
      return r;
    });
    // This test shares the server's event loop: it sees the request in flight only if decoding yields.
    await until(() => server.stats().inflight === 1, 'the request is being decoded');
    const probe = await socketTo(server);
    const answer = readAll(probe);
    probe.write(requestHead('GET', '/v2/health/live', { connection: 'close' }));
    expect(parseResponse(await answer).status).toBe(200);
    order.push('live 200');
    const r = await call;
    expect(order).toEqual(['live 200', 'infer 200']);
    const { binary } = { binary: r.bytes.subarray(Number(r.headers.get('inference-header-content-length'))) };
    expect(new Float32Array(binary.slice().buffer)[998]).toBe(1 / 8);
  });

  it('answers 100 000-deep JSON arrays with 400, and stays up', async () => {
    const server = await start({});
    const deep = `{"inputs":[{"name":"x","shape":[1,256],"datatype":"FP32","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
    const r = await http(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body: deep, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'INPUT_INVALID' });
    expect((await inferMlp(server)).status).toBe(200);
  });
});
