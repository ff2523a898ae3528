import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, openRepository, resources, type VersionPolicy } from 'inproc';
import { answeredVersion, code, codeOf, publish, tempRoot, versionModel, x4, zero, failure } from './helpers.js';

let root: string;

beforeAll(async () => {
  root = await tempRoot();
  for (const v of [1, 2, 3]) await publish(root, 'three', v, { model: versionModel(v) });
  // 10 sorts after 9 numerically, not as text; 007 and v4 are not version directories.
  for (const v of [9, 10]) await publish(root, 'numeric', v, { model: versionModel(v) });
  await publish(root, 'numeric', 7, { files: { 'README.txt': 'not a version' } }); // incomplete: no model file
});

afterAll(async () => {
  expect(resources()).toEqual(zero);
  await rm(root, { recursive: true, force: true });
});

describe('version policies over three versions', () => {
  const cases: [string, VersionPolicy, number[], number][] = [
    ['default (latest 1)', { latest: 1 }, [3], 3],
    ['latest 2', { latest: 2 }, [2, 3], 3],
    ['latest 5 (more than exist)', { latest: 5 }, [1, 2, 3], 3],
    ['all', { all: true }, [1, 2, 3], 3],
    ['specific [1, 3]', { specific: [3, 1] }, [1, 3], 3],
    ['specific [1]', { specific: [1] }, [1], 1],
  ];
  for (const [label, policy, served, current] of cases) {
    it(`${label}: serves ${served.join(', ')}, get(name) returns ${current}`, async () => {
      const repo = await openRepository(root, { versionPolicy: policy });
      try {
        expect(repo.versions('three')).toEqual({ name: 'three', available: [1, 2, 3], served, current, pinned: undefined });
        // Each served version answers with its own number; the default is the newest served.
        expect(answeredVersion(await repo.run('three', x4()))).toBe(current);
        for (const v of served) {
          await using lease = await repo.get('three', { version: v });
          expect(lease.version).toBe(v);
          expect(answeredVersion(await lease.run(x4()))).toBe(v);
        }
        // Versions the policy does not serve, and versions that do not exist, are VERSION_NOT_FOUND with the list.
        for (const v of [1, 2, 3, 4].filter((n) => !served.includes(n))) {
          const error = await failure(repo.get('three', { version: v }));
          expect(error).toBeInstanceOf(InprocError);
          expect(error.code).toBe('VERSION_NOT_FOUND');
          expect(error.details).toMatchObject({ available: served });
          expect(error.message).toContain(`available versions: ${served.join(', ')}`);
        }
      } finally {
        await repo.close();
      }
      expect(resources()).toEqual(zero);
    });
  }

  it('a per-model policy overrides the repository policy', async () => {
    await using repo = await openRepository(root, { versionPolicy: { latest: 1 }, models: { three: { versionPolicy: { specific: [2] } } } });
    expect(repo.versions('three').served).toEqual([2]);
    expect(repo.versions('numeric').served).toEqual([10]);
  });

  it('orders versions numerically and ignores incomplete and non-version directories', async () => {
    await using repo = await openRepository(root, { versionPolicy: { all: true } });
    expect(repo.versions('numeric')).toMatchObject({ available: [9, 10], current: 10 });
    expect(answeredVersion(await repo.run('numeric', x4(), { version: '9' }))).toBe(9);
    expect(await code(repo.get('numeric', { version: 7 }))).toBe('VERSION_NOT_FOUND');
  });

  it('a policy that matches nothing leaves the model without a servable version', async () => {
    await using repo = await openRepository(root, { models: { three: { versionPolicy: { specific: [42] } } } });
    expect(repo.versions('three')).toMatchObject({ served: [], current: undefined });
    const error = await failure(repo.get('three'));
    expect(error.code).toBe('VERSION_NOT_FOUND');
    expect(error.message).toContain('specific [42]');
  });

  it('rejects bad policies and versions with INPUT_INVALID', async () => {
    for (const policy of [{ latest: 0 }, { latest: 1.5 }, { all: false }, { specific: [] }, { specific: [-1] }, { latest: 1, all: true }, 'all', null]) {
      expect(await code(openRepository(root, { versionPolicy: policy as never }))).toBe('INPUT_INVALID');
    }
    await using repo = await openRepository(root);
    for (const version of [-1, 1.5, Number.NaN, '1.0', '01', 'latest', '', true]) {
      expect(await code(repo.get('three', { version: version as never }))).toBe('INPUT_INVALID');
    }
  });

  it('unknown models are MODEL_NOT_FOUND, listing the known ones', async () => {
    await using repo = await openRepository(root);
    const error = await failure(repo.get('nope'));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.details).toMatchObject({ models: ['numeric', 'three'] });
    expect(await codeOf(() => repo.versions('nope'))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(() => repo.metadata('nope'))).toBe('MODEL_NOT_FOUND');
  });

  it('a missing root is MODEL_NOT_FOUND; bad options are INPUT_INVALID', async () => {
    expect(await code(openRepository(`${root}/does-not-exist`))).toBe('MODEL_NOT_FOUND');
    expect(await code(openRepository(''))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { maxBytes: 0 }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { maxModels: 1.5 }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { idleTimeoutMs: -1 }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { watch: 'yes' as never }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { readyMarker: '../READY' }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { maxbytes: 1 } as never))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { load: { warmup: true } as never }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { warmup: { runs: -1 } }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { warmup: { data: 'ones' as never } }))).toBe('INPUT_INVALID');
    expect(await code(openRepository(root, { models: { '../x': {} } }))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(resources()).toEqual(zero);
  });
});

describe('metadata and listing', () => {
  it('metadata() gives neutral facts: served versions, format, signature (the wire format is @inproc/kserve\'s)', async () => {
    await using repo = await openRepository(root, { versionPolicy: { latest: 2 } });
    const facts = await repo.metadata('three');
    expect(facts).toMatchObject({ name: 'three', version: 3, versions: [2, 3], format: 'onnx' });
    expect(facts.signature.inputs.map((i) => [i.name, i.dtype, i.shape.length])).toEqual([['x', 'float32', 2]]);
    expect(facts.signature.outputs.map((o) => [o.name, o.dtype, o.shape.length])).toEqual([['y', 'float32', 2]]);
    expect(facts).not.toHaveProperty('description');
    expect(await repo.metadata('three', 2)).toMatchObject({ version: 2, versions: [2, 3] });
    expect(await code(repo.metadata('three', 1))).toBe('VERSION_NOT_FOUND');
  });

  it('list() gives every served version with its state, like a model server repository index', async () => {
    await using repo = await openRepository(root, { versionPolicy: { latest: 2 } });
    expect(repo.models()).toEqual(['numeric', 'three']);
    expect(repo.list()).toEqual([
      { name: 'numeric', version: '9', state: 'UNAVAILABLE', reason: 'not loaded (loads on first use)' },
      { name: 'numeric', version: '10', state: 'UNAVAILABLE', reason: 'not loaded (loads on first use)' },
      { name: 'three', version: '2', state: 'UNAVAILABLE', reason: 'not loaded (loads on first use)' },
      { name: 'three', version: '3', state: 'UNAVAILABLE', reason: 'not loaded (loads on first use)' },
    ]);
    await using lease = await repo.get('three');
    expect(repo.list().find((e) => e.name === 'three' && e.version === '3')).toEqual({ name: 'three', version: '3', state: 'READY', reason: '' });
    expect(lease.signature.inputs[0]!.name).toBe('x');
  });
});
