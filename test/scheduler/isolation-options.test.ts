/**
 * isolation: 'worker' honours every load option, or refuses one with a coded error: the
 * workers load a backend session with the caller's device, dims, warm-up feeds (for
 * 'fastest') and deviceChoice; the load's signal ends workers that are loading; warm-up
 * reaches every worker; resources() counts exactly one session per worker.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Tensor, liveResources, loadModel, resources } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { failure } from '../helpers/errors.js';

const vadFile = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
const vadFeeds = (): Record<string, Tensor> => ({
  input: new Tensor('float32', new Float32Array(512).map((_, i) => 0.3 * Math.sin(i / 5)), [1, 512]),
  state: new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]),
  sr: new Tensor('int64', [16000n], []),
});

describe("isolation: 'worker' load options", () => {
  it("'fastest' in the workers times on the caller's warmup.feeds, with its deviceChoice (Silero VAD needs real inputs)", async () => {
    const before = resources();
    const model = await loadModel(vadFile, { isolation: 'worker', workers: 2, device: 'fastest', warmup: { feeds: vadFeeds() }, deviceChoice: { cache: false, budgetMs: 20 } });
    expect(model.metadata).toMatchObject({ isolation: 'worker', workers: 2, deviceChoice: 'measured' });
    expect(typeof (model.metadata['deviceTimings'] as Record<string, unknown>)['cpu']).toBe('number');
    const out = await model.run(vadFeeds());
    expect(out['output']!.shape).toEqual([1, 1]);
    await model.dispose();
    expect(resources()).toEqual(before);
  });

  it("'fastest' in the workers without usable timing inputs fails as it does in process (the workers did time on synthesized inputs)", async () => {
    const before = resources();
    const inProcess = await failure(loadModel(vadFile, { device: 'fastest', deviceChoice: { cache: false, budgetMs: 20 } }));
    const isolated = await failure(loadModel(vadFile, { isolation: 'worker', device: 'fastest', deviceChoice: { cache: false, budgetMs: 20 } }));
    expect(isolated.code).toBe(inProcess.code);
    expect(resources()).toEqual(before);
  });

  it("dims and deviceChoice reach the workers: their 'fastest' decision is the one made in process for the same dims", async () => {
    const before = resources();
    const cache = await mkdtemp(join(tmpdir(), 'inproc-choice-'));
    try {
      // Decided in process with batch 7 and written to the cache directory ...
      const here = await loadModel(mlpModel(16), { device: 'fastest', dims: { batch: 7 }, deviceChoice: { cache, budgetMs: 10 } });
      expect(here.metadata['deviceChoice']).toBe('measured');
      await here.dispose();
      // ... found there by the workers only when they time on the same shapes (the key holds them).
      const same = await loadModel(mlpModel(16), { isolation: 'worker', device: 'fastest', dims: { batch: 7 }, deviceChoice: { cache, budgetMs: 10 } });
      expect(same.metadata['deviceChoice']).toBe('cache');
      await same.dispose();
      const other = await loadModel(mlpModel(16), { isolation: 'worker', device: 'fastest', dims: { batch: 3 }, deviceChoice: { cache, budgetMs: 10 } });
      expect(other.metadata['deviceChoice']).toBe('measured');
      await other.dispose();
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
    expect(resources()).toEqual(before);
  });

  it("a warmup.feeds function is called on the caller's side against the signature, once per worker: every worker is warm", async () => {
    const before = resources();
    let calls = 0;
    const model = await loadModel(vadFile, {
      isolation: 'worker',
      workers: 2,
      device: 'cpu',
      warmup: {
        feeds: (signature) => {
          calls++;
          expect(signature.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
          return vadFeeds();
        },
      },
    });
    expect(calls).toBe(2);
    expect(model.stats().requests).toBe(2);
    await model.dispose();
    expect(resources()).toEqual(before);
  });

  it("refuses a warmup.feeds function for 'fastest' in a worker with INPUT_INVALID naming the option, before any worker starts", async () => {
    const before = resources();
    let started = 0;
    const count = (): void => void started++;
    process.on('worker', count);
    try {
      const error = await failure(loadModel(mlpModel(8), { isolation: 'worker', device: 'fastest', warmup: { feeds: () => ({ x: new Tensor('float32', new Float32Array(8), [1, 8]) }) } }));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toMatch(/options\.warmup\.feeds: a function cannot be sent to an isolation worker/);
    } finally {
      process.off('worker', count);
    }
    expect(started).toBe(0);
    expect(resources()).toEqual(before);
  });

  it('refuses warm-up feeds that are not tensors, and load options that cannot cross to a thread, with INPUT_INVALID', async () => {
    const before = resources();
    const notTensor = await failure(loadModel(mlpModel(8), { isolation: 'worker', device: 'fastest', warmup: { feeds: { x: new Float32Array(8) as never } } }));
    expect(notTensor.code).toBe('INPUT_INVALID');
    expect(notTensor.message).toMatch(/options\.warmup\.feeds input "x": expected a Tensor, got Float32Array/);
    const fn = await failure(loadModel(mlpModel(8), { isolation: 'worker', backendOptions: { logSeverityLevel: 4, hook: () => 1 } }));
    expect(fn.code).toBe('INPUT_INVALID');
    expect(fn.message).toMatch(/load options cannot be sent to a worker thread/);
    expect(liveResources().filter((r) => r.label.startsWith('worker '))).toEqual([]);
    expect(resources()).toEqual(before);
  });

  it('the load signal ends a load in progress in the workers: ABORTED, and the workers exit', async () => {
    const before = resources();
    const controller = new AbortController();
    const workers: Worker[] = [];
    // Abort as soon as the pool's workers exist, while they are loading.
    const onWorker = (worker: Worker): void => {
      workers.push(worker);
      if (workers.length === 2) controller.abort(new Error('user gave up'));
    };
    process.on('worker', onWorker);
    try {
      const exits = (): Promise<unknown[]> => Promise.all(workers.map((w) => (w.threadId === -1 ? Promise.resolve() : once(w, 'exit'))));
      const error = await failure(loadModel(mlpModel(64), { isolation: 'worker', workers: 2, signal: controller.signal }));
      expect(error.code).toBe('ABORTED');
      expect(workers).toHaveLength(2);
      await exits();
      expect(workers.every((w) => w.threadId === -1)).toBe(true);
    } finally {
      process.off('worker', onWorker);
    }
    expect(resources()).toEqual(before);
    // An already aborted signal starts no worker at all.
    let started = 0;
    const count = (): void => void started++;
    process.on('worker', count);
    try {
      expect((await failure(loadModel(mlpModel(8), { isolation: 'worker', signal: AbortSignal.abort() }))).code).toBe('ABORTED');
    } finally {
      process.off('worker', count);
    }
    expect(started).toBe(0);
  });

  it('resources() counts one session per worker, with its bytes, and one model', async () => {
    const before = resources();
    const bytes = mlpModel(32).byteLength;
    const model = await loadModel(mlpModel(32), { isolation: 'worker', workers: 3 });
    const during = resources();
    expect(during.models).toBe(before.models + 1);
    expect(during.sessions).toBe(before.sessions + 3);
    expect(during.bytes).toBe(before.bytes + 3 * bytes);
    expect(model.bytes).toBe(3 * bytes);
    const labels = liveResources().filter((r) => r.kind === 'session').map((r) => r.label);
    expect(labels.filter((l) => l.startsWith('worker '))).toHaveLength(3);
    await model.dispose();
    expect(resources()).toEqual(before);
  });
});
