/**
 * StreamGraph on real onnxruntime-node sessions of small generated models: rolling
 * windows, strides and history against sums computed here, the same results for any
 * chunking, fan-out to concurrent heads, batched steps, back-pressure, reset, disposal of
 * each model once, worker isolation and the coded errors of bad graphs and input.
 */
import { describe, expect, it } from 'vitest';
import { loadModel, resources, type Feeds, type LoadOptions, type Model, type Outputs } from 'inproc';
import { type GraphResult, type GraphStage, StreamGraph } from '@inproc/audio';
import { fixedShapeModel, multiIoModel, rowSumModel } from '@inproc/testkit/onnx/models';
import { code, thrownCode } from '../helpers/errors.js';

const rowSum = (options?: LoadOptions): Promise<Model> => loadModel(rowSumModel(), options);

/** The sums of every window of `values` (with `history` zeros first) taken every `stride`, and the index after each window's last value. */
function windowSums(values: readonly number[], window: number, stride: number, history = 0): { sum: number; end: number }[] {
  const padded = [...new Array<number>(history).fill(0), ...values];
  const out: { sum: number; end: number }[] = [];
  for (let at = 0; at + window <= padded.length; at += stride) out.push({ sum: padded.slice(at, at + window).reduce((a, b) => a + b, 0), end: at + window - history });
  return out;
}

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (i % 17) - 8);

async function pushAll(graph: StreamGraph, samples: Float32Array, chunk: number): Promise<GraphResult[]> {
  const out: GraphResult[] = [];
  for (let at = 0; at < samples.length; at += chunk) out.push(...(await graph.push(samples.subarray(at, at + chunk))));
  return out;
}

/** Counts the runs of a model and the batch size of each. */
function counting(model: Model): { model: Model; batches: number[] } {
  const batches: number[] = [];
  const wrapped = Object.create(model) as Model;
  Object.defineProperty(wrapped, 'run', {
    value: (feeds: Feeds): Promise<Outputs> => {
      batches.push((feeds as Record<string, { shape: readonly number[] }>)['x']!.shape[0]!);
      return model.run(feeds);
    },
  });
  return { model: wrapped, batches };
}

describe('StreamGraph', () => {
  it('runs a stage every stride on the last window, history first, the same for any chunking', async () => {
    const start = resources();
    const model = await rowSum();
    const samples = ramp(203);
    const expected = windowSums([...samples], 10, 4, 6);
    const graph = new StreamGraph({ ownModels: false, stages: [{ name: 'sum', model, window: 10, stride: 4, history: { frames: 6 }, output: 'y' }] });
    for (const chunk of [1, 3, 4, 9, 64, 203]) {
      await graph.reset();
      const got = await pushAll(graph, samples, chunk);
      expect(got.map((r) => [r.stage, r.step, r.end, r.values[0]]), `chunk ${chunk}`).toEqual(expected.map((e, i) => ['sum', i, e.end, e.sum]));
      expect(graph.samples).toBe(203);
    }
    await graph.dispose();
    expect(model.disposed).toBe(false);
    await model.dispose();
    expect(resources()).toEqual(start);
  });

  it('feeds a trunk to several heads, which run concurrently, each on its own window and stride', async () => {
    const start = resources();
    const [trunk, a, b] = await Promise.all([rowSum(), rowSum(), rowSum()]);
    const samples = ramp(400);
    const sums = windowSums([...samples], 8, 8).map((s) => s.sum);
    const graph = new StreamGraph({
      stages: [
        { name: 'trunk', model: trunk, window: 8, stride: 8, output: 'y' },
        { name: 'a', model: a, window: 3, stride: 2, output: 'y' },
        { name: 'b', from: 'trunk', model: b, window: 5, history: { frames: 4, value: 1 }, output: 'y' },
      ],
    });
    // Emitting: the stages nothing reads from.
    const got = await pushAll(graph, samples, 50);
    const ofStage = (name: string): number[] => got.filter((r) => r.stage === name).map((r) => r.values[0]!);
    expect(ofStage('trunk')).toEqual([]);
    expect(ofStage('a')).toEqual(windowSums(sums, 3, 2).map((s) => s.sum));
    expect(ofStage('b')).toEqual(windowSums(sums, 5, 1, 4).map((s, i) => s.sum + Math.max(0, 4 - i)));
    // Each step of a head is timed by the audio that completed it: trunk step k ends at 8 (k + 1).
    expect(got.filter((r) => r.stage === 'a').map((r) => r.end)).toEqual(windowSums(sums, 3, 2).map((s) => s.end * 8));
    await graph.dispose();
    expect(resources()).toEqual(start);
  });

  it('starts every head of a step before any of them has finished', async () => {
    const start = resources();
    const models = await Promise.all([rowSum(), rowSum(), rowSum(), rowSum()]);
    const events: string[] = [];
    const traced = (name: string, model: Model): Model => {
      const wrapped = Object.create(model) as Model;
      Object.defineProperty(wrapped, 'run', {
        value: async (feeds: Feeds): Promise<Outputs> => {
          events.push(`start ${name}`);
          const out = await model.run(feeds);
          events.push(`end ${name}`);
          return out;
        },
      });
      return wrapped;
    };
    const graph = new StreamGraph({
      ownModels: false,
      stages: [
        { name: 'trunk', model: models[0], window: 4, stride: 4, output: 'y' },
        ...['h1', 'h2', 'h3'].map((name, i) => ({ name, from: 'trunk', model: traced(name, models[i + 1]!), window: 2, output: 'y' })),
      ],
    });
    // One trunk step completes each head's second window: one run per head.
    await graph.push(ramp(4));
    expect(events).toEqual([]);
    await graph.push(ramp(4));
    expect(events.slice(0, 3)).toEqual(['start h1', 'start h2', 'start h3']);
    expect(events).toHaveLength(6);
    await graph.dispose();
    await Promise.all(models.map((m) => m.dispose()));
    expect(resources()).toEqual(start);
  });

  it('runs the steps of one push as batches of up to maxBatch, with the same results', async () => {
    const start = resources();
    const base = await rowSum();
    const samples = ramp(1000);
    const { model, batches } = counting(base);
    const batched = new StreamGraph({ ownModels: false, stages: [{ name: 's', model, window: 12, stride: 5, output: 'z', frameWidth: 12, maxBatch: 16 }] });
    const single = new StreamGraph({ ownModels: false, stages: [{ name: 's', model: base, window: 12, stride: 5, output: 'z', frameWidth: 12 }] });
    const many = await batched.push(samples);
    expect(batches).toEqual([...new Array<number>(12).fill(16), 6]); // 198 steps
    expect(many).toEqual(await pushAll(single, samples, 7));
    // The output frames (z = 3x, the window itself) of step k are samples [5k, 5k + 12) times 3.
    expect([...many[3]!.values]).toEqual([...samples.subarray(15, 27)].map((x) => x * 3));
    await batched.dispose();
    await single.dispose();
    await base.dispose();
    expect(resources()).toEqual(start);
  });

  it('refuses pushes beyond maxBuffered with QUEUE_FULL until the earlier ones finish', async () => {
    const model = await rowSum();
    const graph = new StreamGraph({ maxBuffered: 1000, stages: [{ name: 's', model, window: 4, stride: 4, output: 'y' }] });
    const first = graph.push(ramp(800));
    expect(graph.buffered).toBe(800);
    expect(await code(graph.push(ramp(300)))).toBe('QUEUE_FULL');
    const second = graph.push(ramp(200));
    expect(graph.buffered).toBe(1000);
    expect((await first).length).toBe(200);
    expect((await second).length).toBe(50);
    expect(graph.buffered).toBe(0);
    // One push larger than the bound is accepted when nothing waits: the bound is on what queues.
    expect((await graph.push(ramp(4000))).length).toBe(1000);
    await graph.dispose();
  });

  it('disposes each model once, waits for a push in flight, and refuses use after', async () => {
    const start = resources();
    const shared = await rowSum();
    const graph = new StreamGraph({
      stages: [
        { name: 'one', model: shared, window: 4, stride: 4, output: 'y' },
        { name: 'two', from: 'input', model: shared, window: 2, stride: 2, output: 'y' },
      ],
    });
    expect(graph.stages).toEqual(['one', 'two']);
    const pushing = graph.push(ramp(10_000));
    const disposing = graph.dispose();
    expect((await pushing).length).toBe(2500 + 5000);
    await disposing;
    expect(shared.disposed).toBe(true);
    expect(graph.disposed).toBe(true);
    expect(await code(graph.push(ramp(4)))).toBe('DISPOSED');
    expect(await code(graph.reset())).toBe('DISPOSED');
    await graph.dispose();
    expect(resources()).toEqual(start);
  });

  it('gives the same results with the models isolated in worker threads', async () => {
    const start = resources();
    const samples = ramp(3000);
    const run = async (options?: LoadOptions): Promise<GraphResult[]> => {
      const graph = new StreamGraph({
        stages: [
          { name: 't', model: await rowSum(options), window: 6, stride: 3, output: 'z', frameWidth: 6, maxBatch: 32 },
          { name: 'h1', model: await rowSum(options), window: 12, stride: 6, output: 'y' },
          { name: 'h2', from: 't', model: await rowSum(options), window: 6, stride: 6, output: 'y' },
        ],
      });
      try {
        return await pushAll(graph, samples, 1100);
      } finally {
        await graph.dispose();
      }
    };
    const isolated = await run({ isolation: 'worker' });
    expect(isolated.length).toBeGreaterThan(0);
    expect(isolated).toEqual(await run());
    expect(resources()).toEqual(start);
  }, 120_000);

  it('rejects bad graphs and bad input with INPUT_INVALID naming the stage', async () => {
    const start = resources();
    const [model, fixed, multi] = await Promise.all([rowSum(), loadModel(fixedShapeModel()), loadModel(multiIoModel())]);
    const make = (stages: unknown): (() => unknown) => () => new StreamGraph({ stages: stages as GraphStage[] });
    const ok: GraphStage = { name: 's', model: model, window: 4, stride: 2, output: 'y' };
    expect(thrownCode(make([]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([ok, { ...ok }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, name: 'input' }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([ok, { ...ok, name: 't', from: 'nowhere' }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, model: {} }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, window: 0 }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, stride: 1.5 }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, history: { frames: 3 } }]))).toBe('INPUT_INVALID'); // more than window - stride
    expect(thrownCode(make([{ ...ok, output: 'nope' }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ ...ok, output: 'z' }]))).toBe('INPUT_INVALID'); // the last dimension is symbolic: frameWidth needed
    // [2, 3] takes a batch of exactly 2 rows: neither a window of 4 nor batching fits.
    expect(thrownCode(make([{ name: 'f', model: fixed, window: 3 }]))).toBe('INPUT_INVALID');
    expect(thrownCode(make([{ name: 'm', model: multi, window: 4 }]))).toBe('INPUT_INVALID');
    expect(() => new StreamGraph({ stages: [ok], maxBuffered: 0 })).toThrow(/maxBuffered/);
    try {
      make([{ ...ok, window: 2 }, { name: 'h', model: fixed, window: 5 }])();
    } catch (error) {
      expect((error as Error).message).toContain('stage "h"');
    }
    const graph = new StreamGraph({ ownModels: false, stages: [ok] });
    expect(await code(graph.push(new Float64Array(4) as unknown as Float32Array))).toBe('INPUT_INVALID');
    await graph.dispose();
    await Promise.all([model.dispose(), fixed.dispose(), multi.dispose()]);
    expect(resources()).toEqual(start);
  });
});
