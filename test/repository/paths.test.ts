import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, openRepository, resources, type Repository } from 'inproc';
import { answeredVersion, code, publish, tempRoot, versionModel, x4, zero } from './helpers.js';

let root: string;
let outside: string;
let repo: Repository;

beforeAll(async () => {
  root = await tempRoot('inproc-paths-');
  outside = await tempRoot('inproc-outside-');
  // A perfectly loadable model outside the repository: every escape below would reach it.
  await mkdir(join(outside, '1'), { recursive: true });
  await writeFile(join(outside, '1', 'model.onnx'), versionModel(666));
  await writeFile(join(outside, 'model.onnx'), versionModel(666));
  await writeFile(join(outside, 'labels.txt'), 'secret\n');
  await publish(root, 'good', 1, { model: versionModel(1) });
  // Symlinks that point out: the model directory, a version directory, a model file, a labels file.
  await symlink(outside, join(root, 'escape-model'), 'dir');
  await mkdir(join(root, 'escape-version'));
  await symlink(join(outside, '1'), join(root, 'escape-version', '1'), 'dir');
  await publish(root, 'escape-version', 2, { model: versionModel(2) });
  await mkdir(join(root, 'escape-file', '1'), { recursive: true });
  await symlink(join(outside, 'model.onnx'), join(root, 'escape-file', '1', 'model.onnx'));
  await publish(root, 'escape-labels', 1, { model: versionModel(1), manifest: { labels: 'labels.txt' } });
  await rm(join(root, 'escape-labels', '1', 'labels.txt'), { force: true });
  await symlink(join(outside, 'labels.txt'), join(root, 'escape-labels', '1', 'labels.txt'));
  // Symlinks that stay inside are fine.
  await symlink(join(root, 'good'), join(root, 'alias'), 'dir');
  // Manifests that name files outside their version directory.
  const manifests: Record<string, unknown> = {
    'm-dotdot': { model: '../../good/1/model.onnx' },
    'm-absolute': { model: join(outside, 'model.onnx') },
    'm-backslash': { model: '..\\..\\good\\1\\model.onnx' },
    'm-drive': { model: 'C:/Windows/model.onnx' },
    'm-encoded': { model: '..%2f..%2fgood%2f1%2fmodel.onnx' },
    'm-nul': { model: 'model.onnx\u0000.txt' },
    'm-dot': { model: './model.onnx' },
    'm-labels': { labels: '../../../etc/passwd' },
    'm-sample': { warmup: { samples: { x: '../1/x.npy' } } },
  };
  for (const [name, manifest] of Object.entries(manifests)) await publish(root, name, 1, { model: versionModel(1), manifest });
  repo = await openRepository(root, { versionPolicy: { all: true } });
});

afterAll(async () => {
  await repo.close();
  expect(resources()).toEqual(zero);
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function outsideError(promise: Promise<unknown>): Promise<InprocError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InprocError);
  expect((error as InprocError).code).toBe('PATH_OUTSIDE_REPOSITORY');
  return error as InprocError;
}

describe('path traversal is PATH_OUTSIDE_REPOSITORY', () => {
  const names: [string, string][] = [
    ['parent', '..'],
    ['current', '.'],
    ['parent then name', '../good'],
    ['nested parent', 'good/../../etc'],
    ['slash', 'good/1'],
    ['absolute', '/etc/passwd'],
    ['backslash', '..\\good'],
    ['UNC', '\\\\server\\share'],
    ['drive letter', 'C:'],
    ['drive path', 'c:\\windows'],
    ['encoded slash', '..%2fgood'],
    ['encoded slash, upper case', '..%2Fgood'],
    ['encoded backslash', '..%5cgood'],
    ['encoded dots', '%2e%2e'],
    ['encoded NUL', 'good%00'],
    ['NUL byte', 'good\u0000'],
  ];
  for (const [label, name] of names) {
    it(`model name: ${label} (${JSON.stringify(name)})`, async () => {
      await outsideError(repo.get(name));
      await outsideError(repo.run(name, x4()));
      await outsideError(repo.metadata(name));
      await outsideError(repo.rollback(name, 1));
      expect(() => repo.versions(name)).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_REPOSITORY' }) as Error);
    });
  }

  const versions: [string, string][] = [
    ['parent', '..'],
    ['parent then version', '../1'],
    ['nested', '1/../../good/1'],
    ['absolute', '/1'],
    ['backslash', '..\\1'],
    ['encoded', '%2e%2e%2f1'],
    ['NUL', '1\u0000'],
    ['drive', 'C:1'],
  ];
  for (const [label, version] of versions) {
    it(`version: ${label} (${JSON.stringify(version)})`, async () => {
      await outsideError(repo.get('good', { version }));
      await outsideError(repo.metadata('good', version));
      await outsideError(repo.rollback('good', version));
    });
  }

  it('a model directory that is a symlink pointing out', async () => {
    const error = await outsideError(repo.get('escape-model'));
    expect(error.message).toContain('outside the repository root');
    expect(repo.models()).toContain('escape-model'); // listed so that the refusal can say why
    expect(repo.list().some((e) => e.name === 'escape-model')).toBe(false);
  });

  it('a version directory that is a symlink pointing out (the other versions still serve)', async () => {
    await outsideError(repo.get('escape-version', { version: 1 }));
    expect(repo.versions('escape-version')).toMatchObject({ available: [2], current: 2 });
    expect(answeredVersion(await repo.run('escape-version', x4()))).toBe(2);
  });

  it('a model file or labels file that is a symlink pointing out', async () => {
    await outsideError(repo.get('escape-file'));
    await outsideError(repo.get('escape-labels'));
  });

  for (const name of ['m-dotdot', 'm-absolute', 'm-backslash', 'm-drive', 'm-encoded', 'm-nul', 'm-dot', 'm-labels', 'm-sample']) {
    it(`a manifest naming a file outside its version: ${name}`, async () => {
      const error = await outsideError(repo.get(name));
      expect(error.message).toMatch(/manifest field "(model|labels|warmup\.samples\.x)"/);
      expect(error.details).toHaveProperty('field');
    });
  }

  it('symlinks that stay inside the repository are followed', async () => {
    expect(answeredVersion(await repo.run('alias', x4()))).toBe(1);
  });

  it('names that are not traversal but unusable are INPUT_INVALID', async () => {
    for (const name of ['', '.hidden', ' padded', 'a|b', 'a?b', 'a*b', 'tab\tname', 'a%b', 42, null]) {
      expect(await code(repo.get(name as string))).toBe('INPUT_INVALID');
    }
  });
});
