/**
 * Model control as Triton does it: load and unload only with explicit model control (and
 * the token when one is set); a model that failed to load stays failed, with its reason in
 * the index and the ready endpoint, until its files change or an explicit load; load and
 * unload of one model run in arrival order (an unload acknowledged during a load is not
 * undone); canonical version numbers only, refused alike on every endpoint; error bodies
 * name models, never the repository's absolute path.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from 'inproc';
import { serve, type InprocServer } from '@inproc/server';
import { mlpModel, slowModel } from '@inproc/testkit/onnx/models';
import { http, tempRepository } from '../kserve/helpers.js';
import { openSocket, readAll, requestHead } from './raw-http.js';

let before: ReturnType<typeof resources>;
const servers: InprocServer[] = [];
beforeAll(() => {
  before = resources();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  expect(resources()).toEqual(before);
});

async function start(models: Parameters<typeof tempRepository>[0], options: Parameters<typeof serve>[1] = {}): Promise<InprocServer> {
  const server = await serve(await tempRepository(models), { port: 0, ...options });
  servers.push(server);
  return server;
}
const post = (server: InprocServer, path: string, body = '', headers: Record<string, string> = {}) => http(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const mlpBody = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(0.5) }] });
const NOT_A_MODEL = new TextEncoder().encode('this is not an onnx model');

describe('who may load and unload', () => {
  it('model control "none" (the default): the index is served, load and unload are 403', async () => {
    const server = await start({ mlp: mlpModel(16) });
    expect((await post(server, '/v2/repository/index')).status).toBe(200);
    for (const action of ['load', 'unload']) {
      const r = await post(server, `/v2/repository/models/mlp/${action}`);
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('--model-control explicit') });
    }
    expect((await http(`${server.url}/v2/models/mlp/ready`)).status).toBe(200);
  });

  it('explicit with a token: 401 without it or with another, 200 with it', async () => {
    const server = await start({ mlp: mlpModel(16) }, { modelControl: 'explicit', controlToken: 'correct-horse' });
    const none = await post(server, '/v2/repository/models/mlp/unload');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    for (const header of ['Bearer wrong-horse', 'Bearer correct-hors', 'Basic correct-horse', 'correct-horse']) {
      expect((await post(server, '/v2/repository/models/mlp/unload', '', { authorization: header })).status, header).toBe(401);
    }
    expect((await http(`${server.url}/v2/models/mlp/ready`)).status).toBe(200);
    expect((await post(server, '/v2/repository/models/mlp/unload', '', { authorization: 'Bearer correct-horse' })).status).toBe(200);
    expect((await http(`${server.url}/v2/models/mlp/ready`)).status).toBe(400);
    expect((await post(server, '/v2/repository/models/mlp/load', '', { authorization: 'bearer correct-horse' })).status).toBe(200);
    expect((await http(`${server.url}/v2/models/mlp/ready`)).status).toBe(200);
  });

  it('refuses a token without explicit model control, and short tokens', async () => {
    const root = await tempRepository({});
    await expect(serve(root, { port: 0, controlToken: 'correct-horse' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(serve(root, { port: 0, modelControl: 'explicit', controlToken: 'short' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(serve(root, { port: 0, modelControl: 'sometimes' as never })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('a model that fails to load', () => {
  it('stays failed under repeated requests (one load tried), says why in the index and the ready endpoint, until an explicit load', async () => {
    const server = await start({ broken: NOT_A_MODEL, mlp: mlpModel(16) }, { modelControl: 'explicit' });
    const root = server.repository.root;
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(server, '/v2/models/broken/infer', mlpBody)));
    for (const a of answers) expect(a).toMatchObject({ status: 500, json: { code: 'MODEL_INVALID' } });
    for (let i = 0; i < 10; i++) expect((await post(server, '/v2/models/broken/infer', mlpBody)).status).toBe(500);
    expect((await http(`${server.url}/v2/models/broken`)).status).toBe(500);
    expect(server.repository.stats().loadFailures).toBe(1);

    const index = await post(server, '/v2/repository/index');
    expect(index.json).toContainEqual({ name: 'broken', version: '1', state: 'UNAVAILABLE', reason: expect.stringMatching(/^load failed: /) });
    const ready = await http(`${server.url}/v2/models/broken/ready`);
    expect(ready.status).toBe(400);
    expect(ready.json).toEqual({ error: expect.stringContaining('failed to load'), code: 'MODEL_INVALID' });
    for (const text of [JSON.stringify(index.json), JSON.stringify(ready.json), JSON.stringify(answers[0]!.json)]) expect(text).not.toContain(root);

    // Fixed in place: still failed (nothing rescanned), until an explicit load.
    await writeFile(join(root, 'broken/1/model.onnx'), mlpModel(16));
    expect((await post(server, '/v2/models/broken/infer', mlpBody)).status).toBe(500);
    expect((await post(server, '/v2/repository/models/broken/load')).status).toBe(200);
    expect((await http(`${server.url}/v2/models/broken/ready`)).status).toBe(200);
    expect((await post(server, '/v2/models/broken/infer', mlpBody)).status).toBe(200);
  });

  it('is tried again once a scan sees its files changed', async () => {
    const server = await start({ broken: NOT_A_MODEL });
    expect((await post(server, '/v2/models/broken/infer', mlpBody)).status).toBe(500);
    await writeFile(join(server.repository.root, 'broken/1/model.onnx'), mlpModel(16));
    await server.repository.refresh();
    expect((await post(server, '/v2/models/broken/infer', mlpBody)).status).toBe(200);
    expect(server.repository.stats().loadFailures).toBe(1);
  });

  it('an explicit load of a model that still fails answers the failure and records it again', async () => {
    const server = await start({ broken: NOT_A_MODEL }, { modelControl: 'explicit' });
    const r = await post(server, '/v2/repository/models/broken/load');
    expect(r).toMatchObject({ status: 500, json: { code: 'MODEL_INVALID' } });
    expect(JSON.stringify(r.json)).not.toContain(server.repository.root);
    expect((await post(server, '/v2/repository/models/broken/load')).status).toBe(500);
    expect(server.repository.stats().loadFailures).toBe(2);
  });
});

describe('load and unload of one model, in arrival order', () => {
  it('an unload sent while a load runs is answered after it, and is not undone by it', async () => {
    const slowLoad = { bytes: slowModel({ depth: 10, rows: 128 }), manifest: { warmup: { runs: 20 } } };
    const server = await start({ slow: slowLoad }, { modelControl: 'explicit' });
    const order: string[] = [];
    const load = post(server, '/v2/repository/models/slow/load').then((r) => (order.push('load'), r));
    while (!server.repository.list().some((e) => e.state === 'LOADING')) await new Promise((r) => setTimeout(r, 5));
    const unload = post(server, '/v2/repository/models/slow/unload').then((r) => (order.push('unload'), r));
    expect((await load).status).toBe(200);
    expect((await unload).status).toBe(200);
    expect(order).toEqual(['load', 'unload']);
    expect((await http(`${server.url}/v2/models/slow/ready`)).status).toBe(400);
    const refused = await post(server, '/v2/models/slow/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 512], datatype: 'FP32', data: new Array(512).fill(0) }] }));
    expect(refused).toMatchObject({ status: 503, json: { code: 'MODEL_NOT_FOUND' } });
    // And the other way round, sent in one go on one connection (so that their order is known): the last one, a load, wins.
    const socket = await openSocket(server.url);
    const received = readAll(socket);
    socket.write(requestHead('POST', '/v2/repository/models/slow/unload', {}, 0) + requestHead('POST', '/v2/repository/models/slow/load', { connection: 'close' }, 0));
    const text = (await received).toString();
    expect(text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect((await http(`${server.url}/v2/models/slow/ready`)).status).toBe(200);
  });
});

describe('versions and names in URLs', () => {
  it('refuses non-canonical versions alike on every endpoint, and serves the canonical one', async () => {
    const server = await start({ mlp: mlpModel(16) });
    const endpoints = (v: string): [string, string][] => [
      ['GET', `/v2/models/mlp/versions/${v}`],
      ['GET', `/v2/models/mlp/versions/${v}/ready`],
      ['GET', `/v2/models/mlp/versions/${v}/stats`],
      ['GET', `/v2/models/mlp/versions/${v}/config`],
      ['POST', `/v2/models/mlp/versions/${v}/infer`],
    ];
    for (const version of ['0x1', '1e0', '01', '1.0', '+1', '%201', '1%20', '-1', '1_0']) {
      for (const [method, path] of endpoints(version)) {
        const r = await http(`${server.url}${path}`, method === 'POST' ? { method, body: mlpBody } : {});
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.json, `${method} ${path}`).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('a version must be a non-negative integer') });
      }
    }
    for (const [method, path] of endpoints('1')) expect((await http(`${server.url}${path}`, method === 'POST' ? { method, body: mlpBody } : {})).status, path).toBe(200);
    for (const [method, path] of endpoints('2')) expect((await http(`${server.url}${path}`, method === 'POST' ? { method, body: mlpBody } : {})).json, path).toMatchObject({ code: 'VERSION_NOT_FOUND' });
  });

  it('answers an unknown model with a 404 that names it and what is served, without the repository path or refresh()', async () => {
    const server = await start({ mlp: mlpModel(16), other: mlpModel(16) });
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/nope/stats', '/v2/models/nope/config']) {
      const r = await http(`${server.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.json, path).toEqual({ code: 'MODEL_NOT_FOUND', error: `Request for unknown model: 'nope' is not found; this server serves "mlp", "other" (GET or POST /v2/repository/index lists them)` });
    }
    const infer = await post(server, '/v2/models/nope/infer', mlpBody);
    expect(JSON.stringify(infer.json)).not.toMatch(new RegExp(`${server.repository.root}|refresh`));
  });
});
