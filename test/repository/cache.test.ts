import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, Tensor, openRepository, resources, type ModelLease } from 'inproc';
import { failingModel, slowModel } from '@inproc/testkit/onnx/models';
import { answeredVersion, code, next, publish, record, tempRoot, versionModel, x4, zero, failure } from './helpers.js';

let root: string;
/** Cache bytes of one tenant model (file plus session), measured once. */
let unit: number;
const tenants = ['a', 'b', 'c', 'd'];

beforeAll(async () => {
  root = await tempRoot();
  // Same size, different models: each tenant answers with its own number.
  for (const [i, name] of tenants.entries()) await publish(root, name, 1, { model: versionModel(i + 1, 4096) });
  await publish(root, 'slow', 1, { model: slowModel({ depth: 40 }) });
  await publish(root, 'broken', 1, { model: new TextEncoder().encode('this is not an onnx model') });
  await publish(root, 'failing', 1, { model: failingModel() });
  await using repo = await openRepository(root);
  await using _lease = await repo.get('a');
  unit = repo.stats().bytes;
});

afterEach(() => {
  expect(resources()).toEqual(zero);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const keys = (events: { type: string; name?: string | undefined; version?: number | undefined }[], type: string): string[] =>
  events.filter((e) => e.type === type).map((e) => `${e.name}@${e.version}`);

describe('byte budget', () => {
  it('counts the model file plus the bytes the backend reports', async () => {
    await using repo = await openRepository(root);
    await using lease = await repo.get('b');
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(`${root}/b/1/model.onnx`));
    // onnxruntime-node reports the model bytes as its session's size.
    expect(repo.stats().bytes).toBe(2 * size);
    expect(repo.stats().entries).toEqual([{ name: 'b', version: 1, state: 'ready', bytes: 2 * size, refs: 1 }]);
    expect(lease.version).toBe(1);
  });

  it('evicts the least recently used idle models first', async () => {
    await using repo = await openRepository(root, { maxBytes: 3 * unit });
    const events = record(repo);
    for (const name of ['a', 'b', 'c']) await repo.run(name, x4());
    await repo.run('a', x4()); // a is now the most recently used; b the least
    await repo.run('d', x4()); // needs room: b goes
    expect(keys(events, 'evict')).toEqual(['b@1']);
    await repo.run('b', x4()); // c is now the least recently used
    expect(keys(events, 'evict')).toEqual(['b@1', 'c@1']);
    expect(repo.stats().entries.map((e) => e.name)).toEqual(['a', 'd', 'b']);
    expect(repo.stats()).toMatchObject({ loads: 5, misses: 5, hits: 1, evictions: 2, models: 3, bytes: 3 * unit, maxBytes: 3 * unit });
    expect(events.filter((e) => e.type === 'evict').every((e) => e.type === 'evict' && e.reason === 'bytes' && e.bytes === unit)).toBe(true);
    await repo.close();
    expect(keys(events, 'unload').sort()).toEqual(['a@1', 'b@1', 'b@1', 'c@1', 'd@1']);
  });

  it('never evicts a held model; overcommits and catches up when leases are released', async () => {
    await using repo = await openRepository(root, { maxBytes: 2 * unit });
    const events = record(repo);
    const a = await repo.get('a');
    await repo.run('b', x4());
    await repo.run('c', x4()); // b is idle, a is held: b goes
    expect(keys(events, 'evict')).toEqual(['b@1']);
    const c = await repo.get('c');
    const d = await repo.get('d'); // a and c held: no idle model to evict, so the cache runs over budget
    expect(repo.stats()).toMatchObject({ bytes: 3 * unit, held: 3, evictions: 1 });
    for (const [lease, answer] of [[a, 1], [c, 3], [d, 4]] as const) expect(answeredVersion(await lease.run(x4()))).toBe(answer);
    c.release(); // c is idle now and the budget is exceeded: it goes at once
    expect(keys(events, 'evict')).toEqual(['b@1', 'c@1']);
    expect(repo.stats()).toMatchObject({ bytes: 2 * unit, held: 2 });
    expect(answeredVersion(await a.run(x4()))).toBe(1);
    a.release();
    d.release();
    expect(repo.stats()).toMatchObject({ bytes: 2 * unit, held: 0, evictions: 2 });
  });

  it('with overcommit: false, rejects a load that only held models block, and disposes nothing', async () => {
    await using repo = await openRepository(root, { maxBytes: 2 * unit, overcommit: false });
    await using a = await repo.get('a');
    await using b = await repo.get('b');
    const error = await failure(repo.get('c'));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toContain('a@1');
    expect(repo.stats()).toMatchObject({ models: 2, loadFailures: 1, evictions: 0 });
    expect(answeredVersion(await a.run(x4())) + answeredVersion(await b.run(x4()))).toBe(3);
    b.release();
    expect(answeredVersion(await repo.run('c', x4()))).toBe(3); // now b can go
    expect(repo.stats().evictions).toBe(1);
  });

  it('a model that cannot fit even alone is LIMIT_EXCEEDED: before loading when the file alone is too big', async () => {
    await using repo = await openRepository(root, { maxBytes: Math.floor(unit / 4) });
    const events = record(repo);
    const error = await failure(repo.get('a'));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.details).toMatchObject({ name: 'a', version: 1, maxBytes: Math.floor(unit / 4) });
    expect(repo.stats()).toMatchObject({ loads: 0, loadFailures: 1, models: 0, bytes: 0 });
    expect(events.map((e) => e.type)).toEqual(['error']);
  });

  it('... and after loading when file plus session exceed the budget (the session is disposed)', async () => {
    await using repo = await openRepository(root, { maxBytes: unit - 1 });
    const events = record(repo);
    expect(await code(repo.get('a'))).toBe('LIMIT_EXCEEDED');
    expect(repo.stats()).toMatchObject({ loads: 0, loadFailures: 1, models: 0, bytes: 0 });
    expect(events.filter((e) => e.type === 'load')).toEqual([]);
    expect(resources()).toEqual(zero);
  });

  it('the count limit evicts the least recently used idle model', async () => {
    await using repo = await openRepository(root, { maxModels: 2 });
    const events = record(repo);
    for (const name of ['a', 'b', 'c']) await repo.run(name, x4());
    expect(events.filter((e) => e.type === 'evict')).toEqual([{ type: 'evict', name: 'a', version: 1, bytes: unit, reason: 'count' }]);
    expect(repo.stats()).toMatchObject({ models: 2, maxModels: 2 });
  });
});

describe('leases and shared loads', () => {
  it('50 concurrent gets of one model share one load', async () => {
    await using repo = await openRepository(root);
    const events = record(repo);
    const leases = await Promise.all(Array.from({ length: 50 }, () => repo.get('a')));
    expect(events.filter((e) => e.type === 'load')).toHaveLength(1);
    expect(repo.stats()).toMatchObject({ loads: 1, misses: 1, hits: 49, models: 1, held: 1 });
    expect(repo.stats().entries[0]!.refs).toBe(50);
    expect(resources()).toMatchObject({ models: 1, sessions: 1 });
    const answers = await Promise.all(leases.map((lease) => lease.run(x4())));
    expect(answers.map(answeredVersion)).toEqual(new Array(50).fill(1));
    for (const lease of leases) lease.release();
    expect(repo.stats().entries[0]!.refs).toBe(0);
  });

  it('50 concurrent gets of a broken model share one failed load and one error event', async () => {
    await using repo = await openRepository(root);
    const events = record(repo);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => repo.get('broken')));
    const codes = new Set(results.map((r) => (r.status === 'rejected' ? (r.reason as InprocError).code : 'resolved')));
    expect([...codes]).toEqual(['MODEL_INVALID']);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
    expect(repo.stats()).toMatchObject({ loads: 0, loadFailures: 1, models: 0 });
    // Remembered as a failure (as Triton does): the next get fails at once without loading again,
    // the index says why, and an explicit load() tries again.
    expect(await code(repo.get('broken'))).toBe('MODEL_INVALID');
    expect(await code(repo.metadata('broken'))).toBe('MODEL_INVALID');
    expect(repo.stats().loadFailures).toBe(1);
    expect(repo.list().find((e) => e.name === 'broken')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/^load failed: /), failure: { code: 'MODEL_INVALID' } });
    expect(await code(repo.load('broken'))).toBe('MODEL_INVALID');
    expect(repo.stats().loadFailures).toBe(2);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });

  it('a released lease refuses calls; release is idempotent; the model stays cached', async () => {
    await using repo = await openRepository(root);
    const lease = await repo.get('a');
    expect(lease.disposed).toBe(false);
    lease.release();
    lease.release();
    await lease.dispose();
    expect(lease.disposed).toBe(true);
    expect(await code(lease.run(x4()))).toBe('DISPOSED');
    expect(repo.stats()).toMatchObject({ models: 1, held: 0 });
    {
      using held = await repo.get('a');
      expect(repo.stats().held).toBe(1);
      expect(held.name).toBe('a');
    }
    expect(repo.stats()).toMatchObject({ held: 0, loads: 1, hits: 1 });
  });

  it('an idle model is unloaded after idleTimeoutMs', async () => {
    await using repo = await openRepository(root, { idleTimeoutMs: 10 });
    const unloaded = next(repo, 'unload');
    await repo.run('a', x4());
    expect(await unloaded).toEqual({ type: 'unload', name: 'a', version: 1, reason: 'idle' });
    expect(repo.stats()).toMatchObject({ models: 0, unloads: 1, evictions: 0 });
    expect(resources()).toEqual(zero);
  });

  it('a held model is not unloaded by the idle timeout', async () => {
    await using repo = await openRepository(root, { idleTimeoutMs: 1 });
    const lease = await repo.get('a');
    const other = next(repo, 'unload'); // b goes idle and is unloaded; a stays, it is held
    await repo.run('b', x4());
    expect(await other).toMatchObject({ name: 'b', reason: 'idle' });
    expect(repo.stats().entries.map((e) => e.name)).toEqual(['a']);
    expect(answeredVersion(await lease.run(x4()))).toBe(1);
    lease.release();
  });

  it('close() waits for calls in flight, disposes every model, refuses new gets, and is idempotent', async () => {
    const repo = await openRepository(root);
    const events = record(repo);
    const lease: ModelLease = await repo.get('slow');
    const running = lease.run(new Tensor('float32', new Float32Array(512), [1, 512]));
    const closed = repo.close();
    expect(await code(repo.get('a'))).toBe('DISPOSED');
    await expect(running).resolves.toHaveProperty('y');
    await closed;
    await repo.close();
    expect(await code(lease.run(new Tensor('float32', new Float32Array(512), [1, 512])))).toBe('DISPOSED');
    lease.release();
    expect(events.filter((e) => e.type === 'unload')).toEqual([{ type: 'unload', name: 'slow', version: 1, reason: 'closed' }]);
    expect(await code(repo.refresh())).toBe('DISPOSED');
    expect(resources()).toEqual(zero);
  });

  it('a run that fails does not leak its lease', async () => {
    await using repo = await openRepository(root);
    expect(await code(repo.run('failing', new Tensor('float32', new Float32Array(4), [4])))).toBe('RUN_FAILED');
    expect(await code(repo.run('a', new Tensor('float32', new Float32Array(3), [1, 3])))).toBe('INPUT_SHAPE');
    expect(repo.stats().held).toBe(0);
  });

  it('withLease holds the lease for the length of its work, and releases it when the work settles or throws', async () => {
    await using repo = await openRepository(root);
    let inside: ModelLease | undefined;
    const answer = await repo.withLease('a', async (lease) => {
      inside = lease;
      expect(repo.stats().held).toBe(1);
      return answeredVersion(await lease.run(x4()));
    });
    expect(answer).toBe(1);
    expect(repo.stats().held).toBe(0);
    // A lease kept past its scope is released: using it is DISPOSED, never a pin.
    expect(inside!.disposed).toBe(true);
    expect(await code(inside!.run(x4()))).toBe('DISPOSED');
    expect(await code(repo.withLease('a', () => Promise.reject(new InprocError('RUN_FAILED', 'work failed'))))).toBe('RUN_FAILED');
    expect(
      await code(
        repo.withLease('a', () => {
          throw new InprocError('INPUT_INVALID', 'thrown at once');
        }),
      ),
    ).toBe('INPUT_INVALID');
    expect(repo.stats().held).toBe(0);
    // The version option and get()'s errors.
    expect(await repo.withLease('a', (lease) => lease.version, { version: 1 })).toBe(1);
    expect(await code(repo.withLease('nope', () => undefined))).toBe('MODEL_NOT_FOUND');
    expect(await code(repo.withLease('a', () => undefined, { version: 7 }))).toBe('VERSION_NOT_FOUND');
    expect(await code(repo.withLease('a', 'not a function' as never))).toBe('INPUT_INVALID');
    expect(repo.stats().held).toBe(0);
  });

  it('listeners that throw do not break the cache; their error is reported as an event', async () => {
    await using repo = await openRepository(root);
    const errors: InprocError[] = [];
    repo.on('error', (event) => errors.push(event.error));
    repo.on('load', () => {
      throw new Error('listener bug');
    });
    expect(answeredVersion(await repo.run('a', x4()))).toBe(1);
    expect(errors.map((e) => e.message)).toEqual(['a "load" listener threw: listener bug']);
    const off = repo.on('load', () => errors.push(new InprocError('RUN_FAILED', 'second')));
    off();
    expect(() => repo.on('loaded' as never, () => undefined)).toThrow(InprocError);
  });
});

describe('a lease dropped without release', () => {
  const gc = (globalThis as { gc?: () => void }).gc;

  async function getAndForget(repo: Awaited<ReturnType<typeof openRepository>>): Promise<void> {
    await repo.get('a'); // never released: a caller bug the repository must not turn into a permanent pin
  }

  it('is released when garbage-collected, with a warning that says where it was taken', async () => {
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    await using repo = await openRepository(root);
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await getAndForget(repo);
      expect(repo.stats().held).toBe(1);
      for (let i = 0; i < 100 && warnings.length === 0; i++) {
        gc!();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.code)).toEqual(['INPROC_LEASE_NOT_RELEASED']);
    expect(warnings[0]!.message).toContain('cache.test.ts');
    expect(repo.stats()).toMatchObject({ held: 0, models: 1 });
  });
});
