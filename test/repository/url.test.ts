import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRepository, resources } from 'inproc';
import { answeredVersion, code, publish, record, tempRoot, versionModel, x4, zero } from './helpers.js';

let root: string;
let server: Server;
let base: string;
const requested: string[] = [];

beforeAll(async () => {
  root = await tempRoot('inproc-url-');
  await publish(root, 'svc', 1, { model: versionModel(1) });
  await publish(root, 'svc', 2, { model: versionModel(2), manifest: { description: 'second', warmup: 1 } });
  await publish(root, 'other', 3, { model: versionModel(3) });
  await writeFile(join(root, 'repository.json'), JSON.stringify({ models: { svc: { versions: [1, 2] }, other: { versions: [3] } } }));
  await writeFile(join(root, 'bad-index.json'), JSON.stringify({ models: { svc: { versions: ['1'] } } }));
  await writeFile(join(root, 'evil-index.json'), JSON.stringify({ models: { '..': { versions: [1] } } }));
  // A static file server over the temporary directory, like a CDN would serve the repository.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requested.push(path);
    const file = normalize(join(root, path.replace(/^\/repo\//, '')));
    if (!path.startsWith('/repo/') || !file.startsWith(root)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (bytes) => res.writeHead(200, { 'content-length': String(bytes.byteLength) }).end(bytes),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo`;
});

afterEach(() => {
  expect(resources()).toEqual(zero);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('a repository over HTTP (the browser layout: an index file lists the versions)', () => {
  it('lists versions from the index and loads models and manifests by URL', async () => {
    await using repo = await openRepository(base, { versionPolicy: { all: true } });
    expect(repo.root).toBe(`${base}/`);
    expect(repo.models()).toEqual(['other', 'svc']);
    expect(repo.versions('svc')).toMatchObject({ available: [1, 2], current: 2 });
    const events = record(repo);
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
    expect(answeredVersion(await repo.run('svc', x4(), { version: 1 }))).toBe(1);
    expect(events.filter((e) => e.type === 'load').map((e) => e.type === 'load' && [e.version, e.warmupRuns])).toEqual([[2, 1], [1, 0]]);
    expect((await repo.metadata('svc')).description).toBe('second');
    // Sizes come from the bytes fetched.
    expect(repo.stats().bytes).toBeGreaterThan(0);
  });

  it('refresh() re-reads the index and swaps to a new version', async () => {
    const index = join(root, 'repository.json');
    const before = await readFile(index, 'utf8');
    await using repo = await openRepository(new URL(`${base}/`));
    expect(answeredVersion(await repo.run('other', x4()))).toBe(3);
    await publish(root, 'other', 4, { model: versionModel(4) });
    await writeFile(index, JSON.stringify({ models: { svc: { versions: [1, 2] }, other: { versions: [3, 4] } } }));
    try {
      await repo.refresh();
      expect(answeredVersion(await repo.run('other', x4()))).toBe(4);
    } finally {
      await writeFile(index, before);
    }
  });

  it('bad roots and indexes', async () => {
    expect(await code(openRepository(`${base}/nowhere/`))).toBe('MODEL_NOT_FOUND');
    expect(await code(openRepository(base, { indexFile: 'bad-index.json' }))).toBe('MODEL_INVALID');
    expect(await code(openRepository(base, { indexFile: 'evil-index.json' }))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(await code(openRepository(base, { watch: true }))).toBe('INPUT_INVALID');
    expect(await code(openRepository('ftp://example.com/repo/'))).toBe('INPUT_INVALID');
  });

  it('traversal never reaches the server', async () => {
    await using repo = await openRepository(base);
    requested.length = 0;
    for (const name of ['..', '../svc', '..%2fsvc', 'svc/2']) expect(await code(repo.get(name))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(await code(repo.get('svc', { version: '../2' }))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(requested).toEqual([]);
  });

  it('a file: URL opens the directory itself', async () => {
    await using repo = await openRepository(pathToFileURL(root));
    expect(repo.models()).toEqual(['other', 'svc']);
  });
});
