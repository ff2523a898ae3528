/**
 * `@inproc/server` over real HTTP on loopback: the documented request and response
 * bodies of the Open Inference Protocol (JSON, binary tensor extension, raw binary),
 * curl, health and metadata, Triton's repository extension, metrics, limits, bad
 * requests (the server answers each with a v2 error body holding the Inproc code and
 * stays up), names outside the repository, back-pressure and graceful shutdown.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from 'inproc';
import { serve, type InprocServer } from '@inproc/server';
import { failingModel, identityModel, mlpModel, mlpReference, multiIoModel, slowModel } from '@inproc/testkit/onnx/models';
import { http, tempRepository } from '../kserve/helpers.js';
import { SPEC_EXAMPLE_OUTPUT, specExampleModel } from '../kserve/models.js';

let server: InprocServer;
let before: ReturnType<typeof resources>;

beforeAll(async () => {
  before = resources();
  const root = await tempRepository({
    mymodel: specExampleModel(),
    mlp: mlpModel(256),
    multi: multiIoModel(),
    identity: identityModel(),
    failing: failingModel(),
    slow: slowModel({ depth: 20 }),
    'slow/2': slowModel({ depth: 20 }),
  });
  server = await serve(root, { port: 0, maxBodyBytes: 1 << 20, maxHeaderBytes: 4096, modelControl: 'explicit', repository: { versionPolicy: { all: true } } });
});

afterAll(async () => {
  await server?.close();
  expect(resources()).toEqual(before);
});

const post = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) => http(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

/** A request whose path is sent exactly as given. */
function rawRequest(path: string, method = 'GET'): Promise<{ status: number | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(server.url, { path, method }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stillUp(): Promise<void> {
  const live = await http(`${server.url}/v2/health/live`);
  expect(live.status).toBe(200);
  expect(live.json).toEqual({ live: true });
}

/** The JSON part and the binary part of a body framed by Inference-Header-Content-Length. */
function unframe(bytes: Uint8Array, headerLength: string | null): { json: Record<string, unknown>; binary: Uint8Array } {
  const n = Number(headerLength);
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(0, n))) as Record<string, unknown>, binary: bytes.subarray(n) };
}

describe('the documented examples', () => {
  // inference_rest.md, "Inference Request Examples" — with input1's data completed: the
  // document gives one element for shape [3], which the server must refuse (below).
  const example = {
    id: '42',
    inputs: [
      { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
      { name: 'input1', shape: [3], datatype: 'BOOL', data: [true, false, true] },
    ],
    outputs: [{ name: 'output0' }],
  };

  it('answers the JSON inference request example with the documented response', async () => {
    const r = await post('/v2/models/mymodel/infer', JSON.stringify(example));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('inference-header-content-length')).toBeNull();
    expect(Number(r.headers.get('content-length'))).toBe(r.bytes.byteLength);
    expect(r.json).toEqual({
      model_name: 'mymodel',
      model_version: '1',
      id: '42',
      outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: SPEC_EXAMPLE_OUTPUT }],
    });
  });

  it('takes nested data arrays, and refuses the example as printed (one BOOL for shape [3])', async () => {
    const nested = { ...example, inputs: [{ ...example.inputs[0], data: [[1, 2], [3, 4]] }, example.inputs[1]] };
    expect((await post('/v2/models/mymodel/infer', JSON.stringify(nested))).json).toMatchObject({ outputs: [{ data: SPEC_EXAMPLE_OUTPUT }] });
    const printed = { ...example, inputs: [example.inputs[0], { ...example.inputs[1], data: [true] }] };
    const r = await post('/v2/models/mymodel/infer', JSON.stringify(printed));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/input "input1": shape \[3\] holds 3 elements, but "data" has 1/), code: 'INPUT_INVALID' });
  });

  it('answers the binary tensor extension example: 16 + 3 bytes in, 24 bytes out', async () => {
    // extension_binary_data.md, "Examples": the request as documented.
    const header = JSON.stringify({
      model_name: 'mymodel',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }],
    });
    const headerBytes = new TextEncoder().encode(header);
    const body = new Uint8Array(headerBytes.byteLength + 19);
    body.set(headerBytes);
    body.set(new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer), headerBytes.byteLength);
    body.set([1, 0, 1], headerBytes.byteLength + 16);
    const r = await post('/v2/models/mymodel/infer', body, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerBytes.byteLength) });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    const yy = Number(r.headers.get('inference-header-content-length'));
    expect(Number(r.headers.get('content-length'))).toBe(yy + 24);
    const { json, binary } = unframe(r.bytes, r.headers.get('inference-header-content-length'));
    expect(json).toEqual({ model_name: 'mymodel', model_version: '1', outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', parameters: { binary_data_size: 24 } }] });
    expect([...new Float32Array(binary.slice().buffer)]).toEqual(SPEC_EXAMPLE_OUTPUT);
  });

  it('mixes binary inputs with JSON outputs, and honours binary_data_output', async () => {
    const header = JSON.stringify({ inputs: [{ name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } }, example.inputs[1]] });
    const h = new TextEncoder().encode(header);
    const body = new Uint8Array(h.byteLength + 16);
    body.set(h);
    body.set(new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer), h.byteLength);
    const r = await post('/v2/models/mymodel/infer', body, { 'inference-header-content-length': String(h.byteLength) });
    expect(r.json).toMatchObject({ outputs: [{ name: 'output0', data: SPEC_EXAMPLE_OUTPUT }] });
    const all = await post('/v2/models/mymodel/infer', JSON.stringify({ ...example, parameters: { binary_data_output: true }, outputs: undefined }));
    const { json, binary } = unframe(all.bytes, all.headers.get('inference-header-content-length'));
    expect(json['outputs']).toEqual([{ name: 'output0', shape: [3, 2], datatype: 'FP32', parameters: { binary_data_size: 24 } }]);
    expect([...new Float32Array(binary.slice().buffer)]).toEqual(SPEC_EXAMPLE_OUTPUT);
  });

  it('answers the outputs a request names, in its order: every one (the run without an output list), or some', async () => {
    const inputs = [
      { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
      { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [7, 8, 9] },
      { name: 'mask', shape: [1, 3], datatype: 'BOOL', data: [true, false, true] },
    ];
    const sum = { name: 'sum', datatype: 'FP32', shape: [1, 4], data: [2, 4, 6, 8] };
    const next = { name: 'next', datatype: 'INT64', shape: [1, 3], data: [8, 9, 10] };
    const inverted = { name: 'inverted', datatype: 'BOOL', shape: [1, 3], data: [false, true, false] };
    const all = await post('/v2/models/multi/infer', JSON.stringify({ inputs, outputs: [{ name: 'inverted' }, { name: 'sum' }, { name: 'next' }] }));
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ model_name: 'multi', model_version: '1', outputs: [inverted, sum, next] });
    const some = await post('/v2/models/multi/infer', JSON.stringify({ inputs, outputs: [{ name: 'next' }, { name: 'sum' }] }));
    expect(some.json).toEqual({ model_name: 'multi', model_version: '1', outputs: [next, sum] });
    const none = await post('/v2/models/multi/infer', JSON.stringify({ inputs }));
    expect(none.json).toEqual({ model_name: 'multi', model_version: '1', outputs: [sum, next, inverted] });
    // As many names as outputs, one unknown: refused as before.
    const unknown = await post('/v2/models/multi/infer', JSON.stringify({ inputs, outputs: [{ name: 'sum' }, { name: 'next' }, { name: 'nope' }] }));
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('nope') });
  });

  it('answers a raw binary request (Inference-Header-Content-Length: 0) for a one-input model', async () => {
    const x = new Float32Array(2 * 256).map((_, i) => Math.sin(i));
    const r = await post('/v2/models/mlp/infer', new Uint8Array(x.buffer), { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' });
    expect(r.status).toBe(200);
    const { json, binary } = unframe(r.bytes, r.headers.get('inference-header-content-length'));
    expect(json['outputs']).toEqual([{ name: 'y', shape: [2, 256], datatype: 'FP32', parameters: { binary_data_size: 2 * 256 * 4 } }]);
    const y = new Float32Array(binary.slice().buffer);
    const reference = mlpReference(x, 2, 256);
    expect(Math.max(...y.map((v, i) => Math.abs(v - reference[i]!)))).toBeLessThan(1e-3);
    const odd = await post('/v2/models/mlp/infer', new Uint8Array(100), { 'inference-header-content-length': '0' });
    expect(odd.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('do not make a float32 tensor') });
    const multi = await post('/v2/models/multi/infer', new Uint8Array(16), { 'inference-header-content-length': '0' });
    expect(multi.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('one input') });
  });

  it.skipIf(!existsSync('/usr/bin/curl'))('answers a hand-written curl request', async () => {
    const body = '{"inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true,false,true]}]}';
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/curl', ['-s', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', body, `${server.url}/v2/models/mymodel/infer`], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ model_name: 'mymodel', model_version: '1', outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: SPEC_EXAMPLE_OUTPUT }] });
  });
});

describe('health, metadata, repository extension, metrics', () => {
  it('reports liveness, readiness and server metadata', async () => {
    await stillUp();
    expect((await http(`${server.url}/v2/health/ready`)).json).toEqual({ ready: true });
    const metadata = { name: 'inproc', version: '0.1.0', extensions: ['binary_tensor_data', 'model_configuration', 'model_repository', 'schedule_policy', 'statistics'] };
    expect((await http(`${server.url}/v2`)).json).toEqual(metadata);
    // The OpenAPI file's spelling.
    expect((await http(`${server.url}/v2/`)).json).toEqual(metadata);
  });

  it('gives model metadata with -1 for variable dimensions and their names as inproc_dims', async () => {
    const r = await http(`${server.url}/v2/models/multi`);
    expect(r.json).toEqual({
      name: 'multi',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 4], parameters: { inproc_dims: '["batch",4]' } },
        { name: 'ids', datatype: 'INT64', shape: [-1, 3], parameters: { inproc_dims: '["batch",3]' } },
        { name: 'mask', datatype: 'BOOL', shape: [-1, 3], parameters: { inproc_dims: '["batch",3]' } },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [-1, 4], parameters: { inproc_dims: '["batch",4]' } },
        { name: 'next', datatype: 'INT64', shape: [-1, 3], parameters: { inproc_dims: '["batch",3]' } },
        { name: 'inverted', datatype: 'BOOL', shape: [-1, 3], parameters: { inproc_dims: '["batch",3]' } },
      ],
    });
    expect((await http(`${server.url}/v2/models/mymodel/versions/1`)).json).toMatchObject({ name: 'mymodel', inputs: [{ name: 'input0', datatype: 'UINT32', shape: [2, 2] }, { name: 'input1', datatype: 'BOOL', shape: [3] }] });
    expect((await http(`${server.url}/v2/models/slow`)).json).toMatchObject({ versions: ['1', '2'] });
    expect((await http(`${server.url}/v2/models/mlp/ready`)).json).toEqual({ name: 'mlp', ready: true });
  });

  it('lists, unloads and loads models (Triton repository extension)', async () => {
    const index = await post('/v2/repository/index', '{}');
    expect(index.status).toBe(200);
    const entries = index.json as { name: string; version: string; state: string }[];
    expect(entries.map((e) => `${e.name}@${e.version}`).sort()).toEqual(['failing@1', 'identity@1', 'mlp@1', 'multi@1', 'mymodel@1', 'slow@1', 'slow@2']);
    expect(entries.find((e) => e.name === 'mlp')?.state).toBe('READY');
    expect((await post('/v2/repository/models/mlp/unload', '')).status).toBe(200);
    // Not ready is a status (Triton's clients read it): 400 with an error body saying why.
    const notReady = await http(`${server.url}/v2/models/mlp/ready`);
    expect(notReady.status).toBe(400);
    expect(notReady.json).toEqual({ error: expect.stringContaining('unloaded'), code: 'MODEL_NOT_FOUND' });
    const refused = await post('/v2/models/mlp/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: new Array(256).fill(0) }] }));
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: 'MODEL_NOT_FOUND', error: expect.stringContaining('unloaded') });
    expect((await post('/v2/repository/index', '{"ready":true}')).json).not.toContainEqual(expect.objectContaining({ name: 'mlp' }));
    expect((await post('/v2/repository/models/mlp/load', '{}')).status).toBe(200);
    expect((await http(`${server.url}/v2/models/mlp/ready`)).json).toEqual({ name: 'mlp', ready: true });
    const override = await post('/v2/repository/models/mlp/load', JSON.stringify({ parameters: { config: '{}', 'file:1/model.onnx': 'AAAA' } }));
    expect(override.status).toBe(400);
    expect(override.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('"config", "file:1/model.onnx"') });
    expect((await post('/v2/repository/models/nope/unload', '')).json).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect((await post('/v2/repository/index', '{"ready":"yes"}')).status).toBe(400);
  });

  it('exposes Prometheus metrics of the server and of every model', async () => {
    await post('/v2/models/mymodel/infer', '{"inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[1,0,1]}]}');
    const r = await http(`${server.url}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = new TextDecoder().decode(r.bytes);
    expect(text).toMatch(/inproc_server_responses_total\{route="infer",status="200"\} \d+/);
    expect(text).toMatch(/inproc_requests_total\{model="mymodel@1"[^}]*\} \d+/);
    expect(text).toContain('inproc_server_request_duration_seconds_bucket');
  });
});

describe('bad requests get a v2 error body with the Inproc code, and the server stays up', () => {
  const x = (shape: number[], extra: object = {}) => ({ name: 'x', shape, datatype: 'FP32', data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), ...extra });
  const cases: [string, string | Uint8Array<ArrayBuffer>, Record<string, string>, number, string, RegExp][] = [
    ['not JSON', '{"inputs": [', {}, 400, 'INPUT_INVALID', /not valid JSON/],
    ['not an object', '[1,2]', {}, 400, 'INPUT_INVALID', /must be a JSON object/],
    ['no inputs', '{}', {}, 400, 'INPUT_INVALID', /"inputs" array/],
    ['an unknown datatype', JSON.stringify({ inputs: [{ ...x([1, 256]), datatype: 'BF16' }] }), {}, 400, 'INPUT_INVALID', /unsupported datatype "BF16"/],
    ['a negative dimension', JSON.stringify({ inputs: [{ ...x([1, 256]), shape: [-1, 256] }] }), {}, 400, 'INPUT_INVALID', /non-negative integers/],
    ['a string in FP32 data', JSON.stringify({ inputs: [{ ...x([1, 1]), shape: [1, 256], data: ['a', ...new Array(255).fill(0)] }] }), {}, 400, 'INPUT_INVALID', /input "x"/],
    ['FP16 as JSON', JSON.stringify({ inputs: [{ ...x([1, 256]), datatype: 'FP16' }] }), {}, 400, 'INPUT_INVALID', /FP16 data cannot be sent as JSON/],
    ['the wrong dtype', JSON.stringify({ inputs: [{ ...x([1, 256]), datatype: 'FP64' }] }), {}, 400, 'INPUT_DTYPE', /input "x"/],
    ['the wrong shape', JSON.stringify({ inputs: [x([1, 255])] }), {}, 400, 'INPUT_SHAPE', /\[batch, 256\]/],
    ['a missing input', JSON.stringify({ inputs: [] }), {}, 400, 'INPUT_MISSING', /"x"/],
    ['an unexpected input', JSON.stringify({ inputs: [x([1, 256]), { ...x([1, 256]), name: 'z' }] }), {}, 400, 'INPUT_UNEXPECTED', /"z"/],
    ['a duplicated input', JSON.stringify({ inputs: [x([1, 256]), x([1, 256])] }), {}, 400, 'INPUT_INVALID', /given twice/],
    ['an unknown output', JSON.stringify({ inputs: [x([1, 256])], outputs: [{ name: 'nope' }] }), {}, 400, 'INPUT_INVALID', /nope/],
    ['binary_data_size past the end', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', parameters: { binary_data_size: 1024 } }] }), { 'inference-header-content-length': '-' }, 400, 'INPUT_INVALID', /Inference-Header-Content-Length/],
    ['a header length beyond the body', '{"inputs":[]}', { 'inference-header-content-length': '999' }, 400, 'INPUT_INVALID', /no larger than the body/],
  ];
  for (const [what, body, headers, status, code, message] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      const r = await post('/v2/models/mlp/infer', body, headers);
      expect(r.status).toBe(status);
      expect(r.json).toEqual({ error: expect.stringMatching(message), code });
      await stillUp();
    });
  }

  it('binary parts that do not add up', async () => {
    const header = new TextEncoder().encode(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', parameters: { binary_data_size: 1024 } }] }));
    const frame = (extra: number): Uint8Array<ArrayBuffer> => {
      const body = new Uint8Array(header.byteLength + extra);
      body.set(header);
      return body;
    };
    const headers = { 'inference-header-content-length': String(header.byteLength) };
    expect((await post('/v2/models/mlp/infer', frame(1000), headers)).json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('runs past the end') });
    expect((await post('/v2/models/mlp/infer', frame(1030), headers)).json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('belong to no tensor') });
    const strings = new TextEncoder().encode(JSON.stringify({ inputs: [{ name: 'x_string', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: 9 } }] }));
    const bytesBody = new Uint8Array(strings.byteLength + 9);
    bytesBody.set(strings);
    new DataView(bytesBody.buffer).setUint32(strings.byteLength, 100, true); // element 0 claims 100 bytes
    const r = await post('/v2/models/identity/infer', bytesBody, { 'inference-header-content-length': String(strings.byteLength) });
    expect(r.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('BYTES element 0 is 100 bytes long') });
    await stillUp();
  });

  it('a run that fails in the backend: 500 RUN_FAILED', async () => {
    const r = await post('/v2/models/failing/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1, 2] }] }));
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: 'RUN_FAILED' });
    await stillUp();
  });

  it('unknown routes, methods, models, versions, and names outside the repository', async () => {
    expect(await http(`${server.url}/v2/nothing`)).toMatchObject({ status: 404, json: { code: 'INPUT_INVALID' } });
    expect(await http(`${server.url}/`)).toMatchObject({ status: 404 });
    const wrong = await http(`${server.url}/v2/models/mlp/infer`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await http(`${server.url}/v2/models/nope`)).toMatchObject({ status: 404, json: { code: 'MODEL_NOT_FOUND' } });
    expect(await http(`${server.url}/v2/models/mlp/versions/7`)).toMatchObject({ status: 404, json: { code: 'VERSION_NOT_FOUND' } });
    expect(await http(`${server.url}/v2/models/mlp/versions/abc`)).toMatchObject({ status: 400 });
    // Raw paths (fetch would resolve dot segments before sending): the repository refuses them.
    for (const path of ['/v2/models/..', '/v2/models/%2E%2E', '/v2/models/..%2Fmlp', '/v2/models/%2Fetc%2Fpasswd', '/v2/models/mlp%00', '/v2/models/.%2F..%2Fmlp/infer']) {
      const r = await rawRequest(path, path.endsWith('infer') ? 'POST' : 'GET');
      expect(r.status, `${path}: ${r.text}`).toBe(400);
      expect(JSON.parse(r.text), path).toMatchObject({ code: expect.stringMatching(/^(PATH_OUTSIDE_REPOSITORY|INPUT_INVALID)$/) });
    }
    expect(JSON.parse((await rawRequest('/v2/models/..')).text)).toMatchObject({ code: 'PATH_OUTSIDE_REPOSITORY' });
    expect(await http(`${server.url}/v2/models/%E0%A4%A`)).toMatchObject({ status: 400, json: { code: 'INPUT_INVALID' } });
    await stillUp();
  });

  it('a body over maxBodyBytes: 413 LIMIT_EXCEEDED, connection closed, server up', async () => {
    const big = new Uint8Array((1 << 20) + 10);
    const r = await post('/v2/models/mlp/infer', big, { 'inference-header-content-length': '0' });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'LIMIT_EXCEEDED', error: expect.stringContaining('at most 1048576') });
    await stillUp();
  });

  it('headers over maxHeaderBytes: 431, server up', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${server.url}/v2/health/live`, { headers: { 'x-filler': 'a'.repeat(8000) } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    await stillUp();
  });

  it('malformed HTTP: 400, server up', async () => {
    const { connect } = await import('node:net');
    const url = new URL(server.url);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('NOT-HTTP garbage\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillUp();
  });
});

describe('back-pressure and shutdown', () => {
  const slowBody = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 512], datatype: 'FP32', data: new Array(512).fill(0.01) }] });

  it('answers 503 QUEUE_FULL beyond maxInflight and serves the rest', async () => {
    const root = await tempRepository({ slow: slowModel({ depth: 20 }) });
    const small = await serve(root, { port: 0, maxInflight: 2 });
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, () => http(`${small.url}/v2/models/slow/infer`, { method: 'POST', body: slowBody })));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      for (const a of answers.filter((x) => x.status === 503)) expect(a.json).toMatchObject({ code: 'QUEUE_FULL' });
      expect(small.stats().peakInflight).toBe(2);
      expect(small.stats().rejectedBusy).toBe(statuses.filter((s) => s === 503).length);
    } finally {
      await small.close();
    }
  });

  it('finishes accepted requests on close, then refuses connections', async () => {
    const root = await tempRepository({ slow: slowModel({ depth: 20 }) });
    const closing = await serve(root, { port: 0 });
    const accepted = Array.from({ length: 4 }, () => http(`${closing.url}/v2/models/slow/infer`, { method: 'POST', body: slowBody }));
    while (closing.stats().inflight < 4) await new Promise((r) => setTimeout(r, 5));
    const closed = closing.close();
    const answers = await Promise.all(accepted);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    await closed;
    await expect(fetch(`${closing.url}/v2/health/live`)).rejects.toThrow();
  });

  it('rejects bad options', async () => {
    await expect(serve('/nonexistent-inproc-repo', { port: 0 })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(serve(server.repository, { port: 70000 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(serve(server.repository, { nope: 1 } as never)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const port = Number(new URL(server.url).port);
    await expect(serve(server.repository, { port })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
