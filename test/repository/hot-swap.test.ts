import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRepository, resources, type Repository } from 'inproc';
import { failingModel } from '@inproc/testkit/onnx/models';
import { answeredVersion, code, next, publish, record, tempRoot, versionModel, x4, zero, failure } from './helpers.js';

const roots: string[] = [];
async function repoRoot(versions: readonly number[]): Promise<string> {
  const root = await tempRoot('inproc-swap-');
  roots.push(root);
  for (const v of versions) await publish(root, 'svc', v, { model: versionModel(v) });
  return root;
}

afterEach(async () => {
  expect(resources()).toEqual(zero);
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** Calls `repo.run('svc')` from `workers` loops until stopped; records every answer and every failure. */
function load(repo: Repository, workers = 4): { answers: number[][]; failures: unknown[]; stop: () => Promise<void>; count: () => number } {
  let running = true;
  const answers: number[][] = Array.from({ length: workers }, () => []);
  const failures: unknown[] = [];
  const loops = answers.map(async (mine) => {
    while (running) {
      try {
        mine.push(answeredVersion(await repo.run('svc', x4())));
      } catch (error) {
        failures.push(error);
      }
    }
  });
  return {
    answers,
    failures,
    count: () => answers.reduce((n, a) => n + a.length, 0),
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits (by yielding to the event loop, no clock) until `n` more calls have been answered. */
async function callsPass(traffic: { count: () => number }, n: number): Promise<void> {
  const target = traffic.count() + n;
  while (traffic.count() < target) await new Promise((resolve) => setImmediate(resolve));
}

describe('hot swap', () => {
  it('swaps under continuous load with zero failed calls; old versions finish their calls and are released', async () => {
    const root = await repoRoot([1]);
    const repo = await openRepository(root, { warmup: 2 });
    const events = record(repo);
    const traffic = load(repo);
    await callsPass(traffic, 50);
    // A caller holding v1 across the swap keeps using it.
    const held = await repo.get('svc');
    await publish(root, 'svc', 2, { model: versionModel(2) });
    await repo.refresh();
    await callsPass(traffic, 50);
    await publish(root, 'svc', 3, { model: versionModel(3) });
    await repo.refresh();
    await callsPass(traffic, 50);
    await traffic.stop();

    expect(traffic.failures).toEqual([]);
    // Per caller, answers never go back to an older version.
    for (const answers of traffic.answers) {
      expect(answers.length).toBeGreaterThan(0);
      expect([...answers].sort((a, b) => a - b)).toEqual(answers);
      expect(answers[answers.length - 1]).toBe(3);
    }
    const all = traffic.answers.flat();
    for (const v of [1, 2, 3]) expect(all).toContain(v);
    expect(events.filter((e) => e.type === 'swap')).toEqual([
      { type: 'swap', name: 'svc', from: 1, to: 2, reason: 'refresh' },
      { type: 'swap', name: 'svc', from: 2, to: 3, reason: 'refresh' },
    ]);
    // Each version was loaded and warmed up once, before it was served.
    expect(events.filter((e) => e.type === 'load').map((e) => e.type === 'load' && [e.version, e.warmupRuns])).toEqual([[1, 2], [2, 2], [3, 2]]);
    // v2 is unloaded (nobody holds it); v1 is still held, so it stays until released.
    expect(events.filter((e) => e.type === 'unload')).toEqual([{ type: 'unload', name: 'svc', version: 2, reason: 'retired' }]);
    expect(held.version).toBe(1);
    expect(answeredVersion(await held.run(x4()))).toBe(1);
    const unloaded = next(repo, 'unload');
    held.release();
    expect(await unloaded).toEqual({ type: 'unload', name: 'svc', version: 1, reason: 'retired' });
    expect(repo.stats().entries.map((e) => e.version)).toEqual([3]);
    expect(await code(repo.get('svc', { version: 1 }))).toBe('VERSION_NOT_FOUND');
    await repo.close();
  });

  it('does not swap in a version that fails to load, reports it, keeps serving the old one, and retries only when its files change', async () => {
    const root = await repoRoot([1]);
    await using repo = await openRepository(root);
    await repo.run('svc', x4());
    const events = record(repo);
    await publish(root, 'svc', 2, { model: new TextEncoder().encode('garbage, not a model') });
    await repo.refresh();
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(events[0]).toMatchObject({ type: 'error', name: 'svc', version: 2, phase: 'load', error: { code: 'MODEL_INVALID' } });
    expect(repo.versions('svc')).toMatchObject({ current: 1, served: [1, 2] });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    expect(repo.list().find((e) => e.version === '2')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringContaining('load failed') as unknown });
    expect(await code(repo.get('svc', { version: 2 }))).toBe('MODEL_INVALID');

    const failures = repo.stats().loadFailures;
    await repo.refresh(); // same files: not retried
    expect(repo.stats().loadFailures).toBe(failures);

    // Fixed in place (new files, new fingerprint): the next scan loads it and swaps.
    await writeFile(join(root, 'svc', '2', 'model.onnx'), versionModel(2));
    await repo.refresh();
    expect(repo.versions('svc')).toMatchObject({ current: 2, served: [2] });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
  });

  it('does not swap in a version whose warm-up fails', async () => {
    const root = await repoRoot([1]);
    await using repo = await openRepository(root, { warmup: 1 });
    await repo.run('svc', x4());
    const events = record(repo);
    await publish(root, 'svc', 2, { model: failingModel() }); // loads, but every run fails
    await repo.refresh();
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ name: 'svc', version: 2, error: { code: 'RUN_FAILED' } });
    expect(events.some((e) => e.type === 'swap' || e.type === 'load')).toBe(false);
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    expect(resources()).toMatchObject({ models: 1 });
  });

  it('rollback pins an earlier version (loaded first); new versions do not move the pin; unpin returns to the newest', async () => {
    const root = await repoRoot([1, 2, 3]);
    await using repo = await openRepository(root);
    const events = record(repo);
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(3);
    await repo.rollback('svc', 1); // outside the policy (latest 1): the pin serves it anyway
    expect(repo.versions('svc')).toEqual({ name: 'svc', available: [1, 2, 3], served: [1, 3], current: 1, pinned: 1 });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    await publish(root, 'svc', 4, { model: versionModel(4) });
    await repo.refresh();
    expect(repo.versions('svc')).toMatchObject({ served: [1, 4], current: 1, pinned: 1 });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    await repo.unpin('svc');
    expect(repo.versions('svc')).toMatchObject({ served: [4], current: 4, pinned: undefined });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(4);
    await repo.unpin('svc'); // nothing pinned: no-op
    expect(events.filter((e) => e.type === 'swap')).toEqual([
      { type: 'swap', name: 'svc', from: 3, to: 1, reason: 'rollback' },
      { type: 'swap', name: 'svc', from: 1, to: 4, reason: 'unpin' },
    ]);
    // 3 left the served set when 4 arrived; 1 when the pin went.
    expect(events.filter((e) => e.type === 'unload').map((e) => e.type === 'unload' && [e.version, e.reason])).toEqual([
      [3, 'retired'],
      [1, 'retired'],
    ]);
  });

  it('rollback refuses versions that do not exist or do not load, and keeps the current one', async () => {
    const root = await repoRoot([1, 2]);
    await publish(root, 'svc', 0, { model: new TextEncoder().encode('broken') });
    await using repo = await openRepository(root);
    const error = await failure(repo.rollback('svc', 9));
    expect(error.code).toBe('VERSION_NOT_FOUND');
    expect(error.details).toMatchObject({ available: [0, 1, 2] });
    expect(await code(repo.rollback('svc', 0))).toBe('MODEL_INVALID');
    expect(await code(repo.rollback('svc', '../1'))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(await code(repo.rollback('nope', 1))).toBe('MODEL_NOT_FOUND');
    expect(repo.versions('svc')).toMatchObject({ current: 2, pinned: undefined });
  });

  it('a removed current version falls back to the newest remaining one; a removed model is gone', async () => {
    const root = await repoRoot([1, 2]);
    await publish(root, 'other', 1, { model: versionModel(7) });
    await using repo = await openRepository(root);
    const events = record(repo);
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
    await repo.run('other', x4());
    await rm(join(root, 'svc', '2'), { recursive: true });
    await rm(join(root, 'other'), { recursive: true });
    await repo.refresh();
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    expect(await code(repo.get('other'))).toBe('MODEL_NOT_FOUND');
    expect(events.filter((e) => e.type === 'swap')).toEqual([{ type: 'swap', name: 'svc', from: 2, to: 1, reason: 'refresh' }]);
    expect(events.filter((e) => e.type === 'unload').map((e) => e.type === 'unload' && `${e.name}@${e.version} ${e.reason}`).sort()).toEqual(['other@1 retired', 'svc@2 retired']);
  });

  it('watch: true picks up new and removed versions and new models by itself', async () => {
    const root = await repoRoot([1]);
    await using repo = await openRepository(root, { watch: { debounceMs: 20 } });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(1);
    const swapped = next(repo, 'swap');
    await publish(root, 'svc', 2, { model: versionModel(2) });
    expect(await swapped).toEqual({ type: 'swap', name: 'svc', from: 1, to: 2, reason: 'refresh' });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
    const back = next(repo, 'swap');
    await rm(join(root, 'svc', '2'), { recursive: true });
    expect(await back).toEqual({ type: 'swap', name: 'svc', from: 2, to: 1, reason: 'refresh' });
    const added = next(repo, 'swap', (e) => e.name === 'late');
    await publish(root, 'late', 5, { model: versionModel(5) });
    expect(await added).toEqual({ type: 'swap', name: 'late', from: undefined, to: 5, reason: 'refresh' });
    expect(answeredVersion(await repo.run('late', x4()))).toBe(5);
  });

  it('with readyMarker, a version directory counts only once its marker exists (files may be copied in place)', async () => {
    const root = await repoRoot([1]);
    await writeFile(join(root, 'svc', '1', 'READY'), '');
    await using repo = await openRepository(root, { readyMarker: 'READY', watch: { debounceMs: 10 } });
    await mkdir(join(root, 'svc', '2'));
    await writeFile(join(root, 'svc', '2', 'model.onnx'), versionModel(2));
    await repo.refresh();
    expect(repo.versions('svc')).toMatchObject({ available: [1], current: 1 });
    const swapped = next(repo, 'swap');
    await writeFile(join(root, 'svc', '2', 'READY'), ''); // the watcher on the incomplete directory sees it
    expect(await swapped).toMatchObject({ from: 1, to: 2 });
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
  });

  it('without a marker, a version directory without its model file is incomplete and ignored', async () => {
    const root = await repoRoot([1]);
    await mkdir(join(root, 'svc', '2'));
    await writeFile(join(root, 'svc', '2', 'inproc.json'), JSON.stringify({ model: 'weights/net.onnx' }));
    await using repo = await openRepository(root);
    expect(repo.versions('svc')).toMatchObject({ available: [1], current: 1 });
    await mkdir(join(root, 'svc', '2', 'weights'));
    await writeFile(join(root, 'svc', '2', 'weights', 'net.onnx'), versionModel(2));
    await repo.refresh();
    expect(answeredVersion(await repo.run('svc', x4()))).toBe(2);
  });
});
