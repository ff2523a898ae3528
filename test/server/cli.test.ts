/**
 * `inproc serve` and `inproc export triton` as subprocesses. The generated
 * `config.pbtxt` files are parsed by protoc (Debian's protobuf-compiler, Google's own
 * text-format parser) against Triton's ModelConfig schema (the subset the export
 * writes, restated in fixtures/triton-model-config.proto); without protoc those checks
 * are skipped with a message.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '@inproc/testkit/onnx/builder';
import { identityModel, mlpModel, multiIoModel, rowSumModel } from '@inproc/testkit/onnx/models';
import { inproc } from '../cli/helpers.js';
import { http, serveProcess, tempRepository } from '../kserve/helpers.js';

const PROTOC = '/usr/bin/protoc';
const SCHEMA_DIR = join(import.meta.dirname, 'fixtures');
if (!existsSync(PROTOC)) console.warn('protoc not found (apt-get install protobuf-compiler): the config.pbtxt schema checks are skipped');

/** protoc's binary encoding of a text-format ModelConfig; rejects with protoc's message when it does not parse. */
function protocEncode(text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(PROTOC, [`--proto_path=${SCHEMA_DIR}`, '--encode=inference.ModelConfig', 'triton-model-config.proto'], { encoding: 'buffer' }, (error, stdout, stderr) =>
      error ? reject(new Error(`protoc: ${stderr.toString()}`)) : resolve(stdout),
    );
    child.stdin!.end(text);
  });
}

function scalarModel(): Uint8Array {
  const g = new GraphBuilder('scalar');
  g.input('t', 'float32', []);
  g.node('Identity', ['t'], { outputs: ['u'] });
  g.output('u', 'float32', []);
  return g.build();
}

describe('inproc serve', () => {
  it('prints its URL once the models are loaded, serves them, and stops gracefully on SIGTERM', async () => {
    const root = await tempRepository({ mlp: mlpModel(16) });
    const server = await serveProcess(root);
    expect(server.stdout()).toContain(`inproc serve ${root} on ${server.url}`);
    expect(server.stderr()).toContain('loaded mlp@1');
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    expect((await http(`${server.url}/v2/models/mlp/ready`)).json).toEqual({ name: 'mlp', ready: true });
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('stopped');
  });

  it('counts in /metrics every response, also those answered before the first scrape imported prom-client', async () => {
    const root = await tempRepository({ mlp: mlpModel(16) });
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    // Pollers from before the server listens (as an orchestrator's readiness probe): the fresh
    // process imports prom-client only at the scrape below (metrics.ts), which must count them all.
    let answered = 0;
    const poll = async (): Promise<void> => {
      for (let ok = 0; ok < 3; ) {
        const status = await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then((r) => r.status, () => undefined);
        if (status === 200) {
          ok++;
          answered++;
        } else {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    };
    const started = serveProcess(root, [], { port });
    await Promise.all(Array.from({ length: 10 }, poll));
    const server = await started;
    expect(answered).toBe(30);
    // 1100 more before any scrape: counted in the server's own maps, with no prom-client loaded.
    for (let i = 0; i < 22; i++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => fetch(`${server.url}/v2/health/live`).then((r) => r.status)));
      expect(batch).toEqual(new Array(50).fill(200));
    }
    const text = new TextDecoder().decode((await http(`${server.url}/metrics`)).bytes);
    expect(text).toContain('inproc_server_responses_total{route="health_ready",status="200"} 30\n');
    expect(text).toContain('inproc_server_request_duration_seconds_count{route="health_ready"} 30\n');
    expect(text).toContain('inproc_server_request_duration_seconds_bucket{le="+Inf",route="health_ready"} 30\n');
    expect(text).toContain('inproc_server_responses_total{route="health_live",status="200"} 1100\n');
    expect(text).toContain('inproc_server_request_duration_seconds_count{route="health_live"} 1100\n');
    expect(text).toContain('inproc_server_inflight_requests 0\n');
    expect(text).toMatch(/inproc_requests_total\{model="mlp@1"[^}]*\} 0\n/);
    expect(await server.stop()).toBe(0);
  });

  it('serves load and unload with --model-control explicit, behind --token', async () => {
    const root = await tempRepository({ mlp: mlpModel(16) });
    const server = await serveProcess(root, ['--model-control', 'explicit', '--token', 'correct-horse']);
    const unload = (headers: Record<string, string>) => http(`${server.url}/v2/repository/models/mlp/unload`, { method: 'POST', headers });
    expect((await unload({})).status).toBe(401);
    expect((await unload({ authorization: 'Bearer correct-horse' })).status).toBe(200);
    expect((await http(`${server.url}/v2/models/mlp/ready`)).status).toBe(400);
    expect(await server.stop()).toBe(0);
  });

  it('refuses bad arguments (exit 2) and a missing repository (exit 1, MODEL_NOT_FOUND)', async () => {
    expect((await inproc(['serve'])).code).toBe(2);
    expect((await inproc(['serve', '.', '--port', 'http'])).code).toBe(2);
    expect((await inproc(['serve', '.', '--workers', '0'])).code).toBe(2);
    expect((await inproc(['serve', '.', '--onnx-spinning', 'fast'])).stderr).toContain('--onnx-spinning must be on or off');
    expect((await inproc(['serve', '.', '--model-control', 'poll'])).stderr).toContain('--model-control must be none or explicit');
    expect((await inproc(['serve', '.', '--token', 'correct-horse'])).stderr).toContain('need --model-control explicit');
    expect((await inproc(['serve', '.', '--model-control', 'explicit', '--token', 'short'])).code).toBe(2);
    const missing = await inproc(['serve', '/nonexistent-inproc-repo', '--port', '0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[MODEL_NOT_FOUND]');
  });
});

describe('inproc export triton', () => {
  it('writes a Triton repository whose configs parse against Triton\'s ModelConfig schema', async () => {
    const root = await tempRepository({
      mlp: { bytes: mlpModel(64), manifest: { batching: { maxBatchSize: 32, maxDelayMs: 2, preferredSizes: [8, 16] }, concurrency: 2 } },
      multi: multiIoModel(),
      identity: { bytes: identityModel(), manifest: { device: 'cpu' } },
      rows: { bytes: rowSumModel(), file: 'net.onnx', manifest: { model: 'net.onnx', batching: { maxBatchSize: 8, maxDelayMs: 0 } } },
      'rows/2': { bytes: rowSumModel(), file: 'net.onnx', manifest: { model: 'net.onnx', batching: { maxBatchSize: 8, maxDelayMs: 0 } } },
      scalar: scalarModel(),
      broken: new TextEncoder().encode('not a model'),
    });
    const out = join(await mkdtemp(join(tmpdir(), 'inproc-triton-')), 'triton');
    const r = await inproc(['export', 'triton', root, out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { models: { name: string; versions: number[]; maxBatchSize: number; note?: string; skipped: boolean }[] };
    expect(report.models.map((m) => [m.name, m.versions, m.maxBatchSize])).toEqual([
      ['broken', [], undefined],
      ['identity', [1], 0],
      ['mlp', [1], 32],
      ['multi', [1], 0],
      ['rows', [2], 8],
      ['scalar', [1], 0],
    ]);
    expect(report.models[0]).toMatchObject({ skipped: true, note: expect.stringContaining('cannot load: [MODEL_INVALID]') });
    expect((await readdir(out)).sort()).toEqual(['identity', 'mlp', 'multi', 'rows', 'scalar']);
    expect((await readdir(join(out, 'rows'))).sort()).toEqual(['2', 'config.pbtxt']);
    expect(await readFile(join(out, 'mlp/1/model.onnx'))).toEqual(Buffer.from(mlpModel(64)));

    const mlp = await readFile(join(out, 'mlp/config.pbtxt'), 'utf8');
    expect(mlp.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'name: "mlp"',
      'platform: "onnxruntime_onnx"',
      'max_batch_size: 32',
      'input [',
      '  {',
      '    name: "x"',
      '    data_type: TYPE_FP32',
      '    dims: [ 64 ]',
      '  }',
      ']',
      'output [',
      '  {',
      '    name: "y"',
      '    data_type: TYPE_FP32',
      '    dims: [ 64 ]',
      '  }',
      ']',
      'dynamic_batching {',
      '  preferred_batch_size: [ 8, 16 ]',
      '  max_queue_delay_microseconds: 2000',
      '}',
      'instance_group [',
      '  {',
      '    count: 2',
      '    kind: KIND_AUTO',
      '  }',
      ']',
      '',
    ]);
    const identity = await readFile(join(out, 'identity/config.pbtxt'), 'utf8');
    for (const t of ['TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT64', 'TYPE_INT64', 'TYPE_FP16', 'TYPE_FP64', 'TYPE_STRING']) expect(identity).toContain(`data_type: ${t}`);
    expect(identity).toContain('dims: [ -1 ]');
    expect(identity).toContain('kind: KIND_CPU');
    expect(await readFile(join(out, 'rows/config.pbtxt'), 'utf8')).toContain('default_model_filename: "net.onnx"');
    expect(await readFile(join(out, 'scalar/config.pbtxt'), 'utf8')).toContain('dims: [ 1 ]\n    reshape: { shape: [ ] }');

    if (existsSync(PROTOC)) {
      for (const name of report.models.filter((m) => !m.skipped).map((m) => m.name)) {
        const encoded = await protocEncode(await readFile(join(out, name, 'config.pbtxt'), 'utf8'));
        expect(encoded.byteLength, name).toBeGreaterThan(0);
      }
      // The check can fail: a field Triton does not have, or a wrong type, is refused.
      await expect(protocEncode('name: "x"\nmax_batch_sizes: 3\n')).rejects.toThrow(/no field named "max_batch_sizes"/);
      await expect(protocEncode('name: "x"\ninput [ { name: "a" data_type: TYPE_FLOAT32 } ]\n')).rejects.toThrow(/TYPE_FLOAT32/);
    }
  });

  it('copies regular files only: a model with a link (outside, to a parent, inside) or a FIFO is skipped with a note, the rest exported', async () => {
    const secret = join(await mkdtemp(join(tmpdir(), 'inproc-secret-')), 'secret.txt');
    await writeFile(secret, 'outside the repository');
    const root = await tempRepository({ good: mlpModel(8), outside: mlpModel(8), loop: mlpModel(8), inner: mlpModel(8), fifo: mlpModel(8) });
    await symlink(secret, join(root, 'outside/1/notes.txt'));
    await mkdir(join(root, 'loop/1/sub'));
    await symlink('..', join(root, 'loop/1/sub/up')); // a link to a parent: recursion until ELOOP when followed
    await symlink('model.onnx', join(root, 'inner/1/copy.onnx'));
    execFileSync('mkfifo', [join(root, 'fifo/1/pipe')]);
    const out = join(await mkdtemp(join(tmpdir(), 'inproc-triton-')), 'triton');
    const r = await inproc(['export', 'triton', root, out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { models: { name: string; skipped: boolean; note?: string }[] };
    const byName = Object.fromEntries(report.models.map((m) => [m.name, m]));
    expect(byName['good']).toMatchObject({ skipped: false });
    expect(byName['outside']).toMatchObject({ skipped: true, note: expect.stringContaining('outside/1/notes.txt is a symbolic link') });
    expect(byName['loop']).toMatchObject({ skipped: true, note: expect.stringContaining('loop/1/sub/up is a symbolic link') });
    expect(byName['inner']).toMatchObject({ skipped: true, note: expect.stringContaining('[PATH_OUTSIDE_REPOSITORY]') });
    expect(byName['fifo']).toMatchObject({ skipped: true, note: expect.stringContaining('not a regular file') });
    expect(await readdir(out)).toEqual(['good']);
  });

  it('refuses bad arguments with exit 2', async () => {
    const root = await tempRepository({ mlp: mlpModel(8) });
    const out = await mkdtemp(join(tmpdir(), 'inproc-triton-'));
    await writeFile(join(out, 'something'), 'x');
    expect((await inproc(['export'])).code).toBe(2);
    expect((await inproc(['export', 'onnx', root, out])).code).toBe(2);
    expect((await inproc(['export', 'triton', root])).code).toBe(2);
    expect((await inproc(['export', 'triton', root, join(root, 'out')])).stderr).toContain('must not be inside the repository');
    const busy = await inproc(['export', 'triton', root, out]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain('--force');
    expect((await inproc(['export', 'triton', root, out, '--kind', 'KIND_TPU'])).code).toBe(2);
    expect((await inproc(['export', 'triton', root, out, '--force'])).code).toBe(0);
  });
});
