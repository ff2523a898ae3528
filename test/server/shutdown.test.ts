/**
 * `close()` under traffic loses nothing: every accepted request — inference with a 16 MiB
 * answer read slowly, a load, a metadata request that triggers a load — gets its whole
 * answer before its connection closes; requests that arrive meanwhile get 503; past
 * `shutdownTimeoutMs` the rest is cut and counted in the log and `stats()`.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resources } from 'inproc';
import { serve, type InprocServer } from '@inproc/server';
import { identityModel, slowModel } from '@inproc/testkit/onnx/models';
import { tempRepository } from '../kserve/helpers.js';
import { binaryFp32Request, openSocket, parseResponse, readAll, requestHead, sleep, until } from './raw-http.js';

let before: ReturnType<typeof resources>;
let sockets: Socket[] = [];
beforeEach(() => {
  before = resources();
  sockets = [];
});
afterEach(() => {
  for (const socket of sockets) socket.destroy();
  expect(resources()).toEqual(before);
});

async function socketTo(server: InprocServer): Promise<Socket> {
  const socket = await openSocket(server.url);
  sockets.push(socket);
  return socket;
}

/** Sends a 16 MiB binary request to the identity model; resolves with the socket once the first bytes of the answer arrived, paused there. */
async function bigAnswerPaused(server: InprocServer): Promise<{ socket: Socket; chunks: Buffer[] }> {
  const socket = await socketTo(server);
  const chunks: Buffer[] = [];
  const { head, body } = binaryFp32Request('x_float32', [4 << 20], 'y_float32');
  const first = new Promise<void>((resolve) =>
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (chunks.length === 1) {
        socket.pause();
        resolve();
      }
    }),
  );
  socket.write(requestHead('POST', '/v2/models/identity/infer', head, body.byteLength));
  socket.write(body);
  await first;
  return { socket, chunks };
}

describe('shutdown', () => {
  // A request sent on the same connection (pipelined) during the shutdown is answered after the big answer: 503, and readiness too.
  it.each([
    ['GET /v2/models/identity', 'the server is shutting down'],
    ['GET /v2/health/ready', 'not ready: it is shutting down'],
  ])('writes a 16 MiB answer whole to a client that reads it slowly while the server closes; then %s gets 503', async (next, message) => {
    const logs: string[] = [];
    const server = await serve(await tempRepository({ identity: identityModel(['float32']) }), { port: 0, maxBodyBytes: 64 << 20, log: (l) => logs.push(l) });
    const { socket, chunks } = await bigAnswerPaused(server);
    const closing = server.close();
    await sleep(100);
    socket.write(requestHead(next.split(' ')[0]!, next.split(' ')[1]!));
    // Read the rest slowly: every byte the headers promised arrives.
    while (!socket.closed) {
      socket.resume();
      await sleep(5);
      socket.pause();
      await sleep(5);
    }
    const all = Buffer.concat(chunks);
    const answer = parseResponse(all);
    expect(answer.status).toBe(200);
    const length = Number(answer.headers['content-length']);
    expect(length).toBeGreaterThan(16 << 20);
    const headerLength = Number(answer.headers['inference-header-content-length']);
    const data = answer.body.subarray(headerLength, length);
    expect(data.byteLength).toBe(16 << 20);
    expect(data.readFloatLE(4 * 4321)).toBeCloseTo(321 / 7, 4);
    const late = parseResponse(answer.body.subarray(length));
    expect(late.status).toBe(503);
    expect(late.headers['connection']).toBe('close');
    expect(JSON.parse(late.body.toString())).toEqual({ code: 'DISPOSED', error: expect.stringContaining(message) });
    await closing;
    expect(server.stats().cutAtShutdown).toBe(0);
    expect(logs).toContain('shutting down: finishing 1 accepted request');
    expect(logs.some((l) => l.includes('cut'))).toBe(false);
  });

  it('answers a load and a metadata request that triggers a load, both in progress at close()', async () => {
    const slowLoad = (runs: number) => ({ bytes: slowModel({ depth: 10, rows: 128 }), manifest: { warmup: { runs } } });
    const root = await tempRepository({ a: slowLoad(20), b: slowLoad(40) });
    const server = await serve(root, { port: 0, modelControl: 'explicit' });
    const loading = (name: string) => server.repository.list().some((e) => e.name === name && e.state === 'LOADING');
    const load = fetch(`${server.url}/v2/repository/models/b/load`, { method: 'POST' });
    await until(() => loading('b'), 'the load is in progress');
    const socket = await socketTo(server);
    const received = readAll(socket);
    socket.write(requestHead('GET', '/v2/models/a'));
    await until(() => loading('a'), 'the metadata request is loading its model');
    const closing = server.close();
    expect((await load).status).toBe(200);
    const m = parseResponse(await received);
    expect(m.status).toBe(200);
    expect(m.headers['connection']).toBe('close');
    expect(JSON.parse(m.body.toString())).toMatchObject({ name: 'a', inputs: [{ name: 'x' }] });
    await closing;
    expect(server.stats().cutAtShutdown).toBe(0);
  });

  it('past shutdownTimeoutMs cuts what is left, and says how many in the log and stats()', async () => {
    const logs: string[] = [];
    const server = await serve(await tempRepository({ identity: identityModel(['float32']) }), { port: 0, maxBodyBytes: 64 << 20, shutdownTimeoutMs: 200, log: (l) => logs.push(l) });
    await bigAnswerPaused(server); // never reads on
    await server.close();
    expect(server.stats().cutAtShutdown).toBe(1);
    expect(logs).toContainEqual(expect.stringMatching(/shutdownTimeoutMs: 200 ms\) passed: 1 request cut/));
  });
});
