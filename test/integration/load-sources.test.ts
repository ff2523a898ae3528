import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InprocError, Tensor, loadModel, resources, type LoadOptions, type ModelInput } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';

const bytes = mlpModel(64);
let dir: string;
let server: Server;
let base: string;
/** Resolved by the HTTP progress test's first progress report: the server sends the rest of mlp.onnx only then. */
let firstProgress: () => void = () => undefined;


async function check(source: ModelInput, options: LoadOptions = {}): Promise<void> {
  await using model = await loadModel(source, options);
  const { y } = await model.run(new Tensor('float32', new Float32Array(64), [1, 64]));
  expect(y!.shape).toEqual([1, 64]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inproc-sources-'));
  await writeFile(join(dir, 'mlp.onnx'), bytes);
  await writeFile(join(dir, 'mlp.bin'), bytes);
  await writeFile(join(dir, 'garbage.onnx'), new TextEncoder().encode('not a model at all'));
  await writeFile(join(dir, 'garbage.bin'), new TextEncoder().encode('not a model at all'));
  await writeFile(join(dir, 'empty.onnx'), new Uint8Array(0));
  await mkdir(join(dir, 'versioned', '1'), { recursive: true });
  await writeFile(join(dir, 'versioned', '1', 'model.onnx'), bytes);
  await mkdir(join(dir, 'emptydir'));
  server = createServer((req, res) => {
    if (req.url === '/mlp.onnx') {
      res.writeHead(200, { 'content-length': String(bytes.byteLength) });
      // Two chunks, the second only once the client has reported the first (a timer alone let a
      // busy client read both at once: one report), so progress is reported more than once.
      res.write(bytes.subarray(0, 1000));
      const rest = (): void => void res.end(bytes.subarray(1000));
      const fallback = setTimeout(rest, 10_000); // a load without onProgress still completes
      firstProgress = () => {
        clearTimeout(fallback);
        rest();
      };
    } else if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>not a model</title>');
    } else if (req.url === '/stall.onnx') {
      res.writeHead(200, { 'content-length': String(bytes.byteLength) });
      res.write(bytes.subarray(0, 10)); // never finishes: only abort ends it
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
  expect(resources()).toEqual({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
});

describe('loadModel sources', () => {
  it('loads from a path, a file: URL string, a URL, a directory, a Uint8Array view and an ArrayBuffer', async () => {
    await check(join(dir, 'mlp.onnx'));
    await check(join(dir, 'mlp.bin')); // sniffed from the bytes, not the name
    await check(pathToFileURL(join(dir, 'mlp.onnx')).href);
    await check(pathToFileURL(join(dir, 'mlp.onnx')));
    await check(join(dir, 'versioned', '1'));
    const padded = new Uint8Array(bytes.byteLength + 16);
    padded.set(bytes, 7);
    await check(padded.subarray(7, 7 + bytes.byteLength));
    await check(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  });

  it('reports progress while reading a file', async () => {
    const seen: { loaded: number; total?: number }[] = [];
    await check(join(dir, 'mlp.onnx'), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toEqual({ loaded: bytes.byteLength, total: bytes.byteLength });
  });

  it('loads over HTTP with streamed progress', async () => {
    const seen: { loaded: number; total?: number }[] = [];
    await check(`${base}/mlp.onnx`, {
      onProgress: (p) => {
        seen.push(p);
        if (seen.length === 1) firstProgress();
      },
    });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.map((p) => p.loaded)).toEqual([...seen.map((p) => p.loaded)].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual({ loaded: bytes.byteLength, total: bytes.byteLength });
  });

  it('says MODEL_NOT_FOUND for missing files, directories without a model, 404s and unreachable hosts', async () => {
    expect(await code(loadModel(join(dir, 'nope.onnx')))).toBe('MODEL_NOT_FOUND');
    expect(await code(loadModel(join(dir, 'mlp.onnx', 'inside')))).toBe('MODEL_NOT_FOUND');
    expect(await code(loadModel(join(dir, 'emptydir')))).toBe('MODEL_NOT_FOUND');
    expect(await code(loadModel(`${base}/missing.onnx`))).toBe('MODEL_NOT_FOUND');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await code(loadModel(`http://127.0.0.1:${port}/x.onnx`))).toBe('MODEL_NOT_FOUND');
  });

  it('says MODEL_INVALID or FORMAT_UNKNOWN for files that are not models', async () => {
    expect(await code(loadModel(join(dir, 'garbage.onnx')))).toBe('MODEL_INVALID'); // named .onnx: onnxruntime rejects it
    expect(await code(loadModel(join(dir, 'garbage.bin')))).toBe('FORMAT_UNKNOWN');
    expect(await code(loadModel(join(dir, 'empty.onnx')))).toBe('MODEL_INVALID');
    expect(await code(loadModel(`${base}/page.html`))).toBe('FORMAT_UNKNOWN');
  });

  it('rejects sources and options of the wrong kind with INPUT_INVALID', async () => {
    expect(await code(loadModel(42 as never))).toBe('INPUT_INVALID');
    expect(await code(loadModel({} as never))).toBe('INPUT_INVALID');
    expect(await code(loadModel(''))).toBe('INPUT_INVALID');
    expect(await code(loadModel('a\0b'))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { format: 'pytorch' as never }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { concurrency: 0 }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { maxQueue: -1 }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { warmup: -2 }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { device: '' }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, { signal: 'stop' as never }))).toBe('INPUT_INVALID');
    expect(await code(loadModel(bytes, null as never))).toBe('INPUT_INVALID');
  });

  it('aborts a load before it starts, while reading a file, and while downloading', async () => {
    expect(await code(loadModel(join(dir, 'mlp.onnx'), { signal: AbortSignal.abort() }))).toBe('ABORTED');
    const reading = new AbortController();
    expect(await code(loadModel(join(dir, 'mlp.onnx'), { signal: reading.signal, onProgress: () => reading.abort() }))).toBe('ABORTED');
    const downloading = new AbortController();
    const pending = loadModel(`${base}/stall.onnx`, { signal: downloading.signal, onProgress: () => downloading.abort() });
    expect(await code(pending)).toBe('ABORTED');
  });

  it('says which backends were tried when the format has none', async () => {
    const layers = new TextEncoder().encode(JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }));
    const e = await loadModel(layers, { backend: 'onnx-node' }).then(
      () => expect.unreachable('a layers model has no ONNX backend'),
      (error: unknown) => error as InprocError,
    );
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('onnx-node: does not load tfjs-layers models');
  });
});

describe('files beside a model', () => {
  it('refuses a sibling that is a symlink pointing outside the model directory', async () => {
    const { symlink } = await import('node:fs/promises');
    const { onnxNodeBackend } = await import('inproc');
    const outside = await mkdtemp(join(tmpdir(), 'inproc-outside-'));
    const modelDir = await mkdtemp(join(tmpdir(), 'inproc-model-'));
    try {
      await writeFile(join(outside, 'secret.bin'), 'secret');
      await writeFile(join(modelDir, 'model.onnx'), bytes);
      await writeFile(join(modelDir, 'inside.bin'), 'weights');
      await symlink(join(outside, 'secret.bin'), join(modelDir, 'escape.bin'));
      // Capture the ModelSource that loadModel hands to a backend, through a backend of our own.
      const seen: Parameters<typeof onnxNodeBackend.load>[0][] = [];
      const { registerBackend, unregisterBackend } = await import('inproc');
      registerBackend({ name: 'capture', priority: 1000, formats: ['onnx'], devices: ['cpu'], isAvailable: () => true, load: (source, o) => (seen.push(source), onnxNodeBackend.load(source, o)) });
      try {
        await (await loadModel(join(modelDir, 'model.onnx'))).dispose();
      } finally {
        unregisterBackend('capture');
      }
      const source = seen[0]!;
      expect(new TextDecoder().decode(await source.readSibling!('inside.bin'))).toBe('weights');
      await expect(source.readSibling!('escape.bin')).rejects.toMatchObject({ code: 'MODEL_INVALID' });
      await expect(source.readSibling!('../x.bin')).rejects.toMatchObject({ code: 'MODEL_INVALID' });
      await expect(source.readSibling!('missing.bin')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(modelDir, { recursive: true, force: true });
    }
  });
});
