/**
 * Where the protocol leaves a choice, `inproc serve` does what Triton does: the `priority`
 * parameter (1 = highest, larger = lower, 0 or none = the default) on a busy model in
 * both sending orders, the statistics extension in Triton's layout, the model
 * configuration extension (the JSON form of the exported config.pbtxt), and the
 * extensions listed in the server metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from 'inproc';
import { serve, type InprocServer } from '@inproc/server';
import { mlpModel, slowModel } from '@inproc/testkit/onnx/models';
import { http, tempRepository } from '../kserve/helpers.js';
import { until } from './raw-http.js';

let server: InprocServer;
let before: ReturnType<typeof resources>;

beforeAll(async () => {
  before = resources();
  const root = await tempRepository({
    // One run at a time, in a worker (the server's event loop stays free to take requests), so that requests queue behind a running one.
    // Each run is long enough (rows 1024) that five requests are queued, one by one, while the first runs, even on a slow CI machine
    // (at rows 256 the first run once ended before the fifth request was queued on Node 24).
    slow: { bytes: slowModel({ depth: 20, rows: 1024 }), manifest: { concurrency: 1 } },
    mlp: { bytes: mlpModel(16), manifest: { batching: { maxBatchSize: 8, maxDelayMs: 1 }, concurrency: 2, device: 'cpu' } },
    'mlp/2': mlpModel(16),
  });
  server = await serve(root, { port: 0, preload: true, repository: { versionPolicy: { all: true }, models: { slow: { load: { isolation: 'worker', workers: 1 } } } } });
});
afterAll(async () => {
  await server?.close();
  expect(resources()).toEqual(before);
});

const slowRequest = (parameters: Record<string, unknown> = {}) => ({ inputs: [{ name: 'x', shape: [1, 512], datatype: 'FP32', data: new Array(512).fill(0.001) }], parameters });
const infer = (model: string, body: unknown) => http(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const slowStats = () => server.repository.status('slow').stats!;

describe('schedule policy: priority', () => {
  /** Occupies the model, queues one request per priority in the order given, and returns the order in which they were answered. */
  async function answeredOrder(priorities: readonly (number | undefined)[]): Promise<string[]> {
    const order: string[] = [];
    const blocker = infer('slow', slowRequest());
    await until(() => slowStats().inFlight === 1, 'the blocker runs');
    const queued: Promise<unknown>[] = [];
    for (const [i, p] of priorities.entries()) {
      const label = p === undefined ? 'none' : String(p);
      queued.push(
        infer('slow', slowRequest(p === undefined ? {} : { priority: p })).then((r) => {
          expect(r.status).toBe(200);
          order.push(label);
        }),
      );
      await until(() => slowStats().queued === i + 1, `request ${label} is queued`);
    }
    await blocker;
    await Promise.all(queued);
    return order;
  }

  it('serves priority 1 before 2, whichever was sent first', { timeout: 180_000 }, async () => {
    expect(await answeredOrder([2, 1])).toEqual(['1', '2']);
    expect(await answeredOrder([1, 2])).toEqual(['1', '2']);
  });

  it('serves 0 and no priority at the default level, level 1: before 2 and 3, in arrival order with 1', { timeout: 180_000 }, async () => {
    expect(await answeredOrder([3, 2, 0, undefined, 1])).toEqual(['0', 'none', '1', '2', '3']);
  });

  it('refuses a priority that is not a non-negative integer', async () => {
    for (const priority of [-1, 1.5, '1', true, null]) {
      const r = await infer('mlp', { inputs: [{ name: 'x', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(0) }], parameters: { priority } });
      expect(r.status, JSON.stringify(priority)).toBe(400);
      expect(r.json).toMatchObject({ code: 'INPUT_INVALID', error: expect.stringContaining('"priority"') });
    }
  });
});

describe('statistics extension', () => {
  it("reports a model's calls in Triton's layout, per version, and zeros for a version that is not loaded", async () => {
    const body = { inputs: [{ name: 'x', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(0.25) }] };
    for (let i = 0; i < 5; i++) expect((await infer('mlp/versions/1', body)).status).toBe(200);
    expect((await infer('mlp/versions/1', { inputs: [{ name: 'x', shape: [1, 15], datatype: 'FP32', data: new Array(15).fill(0) }] })).status).toBe(400);
    const r = await http(`${server.url}/v2/models/mlp/versions/1/stats`);
    expect(r.status).toBe(200);
    const stats = (r.json as { model_stats: Record<string, unknown>[] }).model_stats;
    expect(stats).toHaveLength(1);
    const stat = stats[0]!;
    const duration = { count: expect.any(Number), ns: expect.any(Number) };
    expect(stat).toEqual({
      name: 'mlp',
      version: '1',
      last_inference: expect.any(Number),
      inference_count: 5,
      execution_count: expect.any(Number),
      inference_stats: { success: duration, fail: duration, queue: duration, compute_input: duration, compute_infer: duration, compute_output: duration, cache_hit: duration, cache_miss: duration },
      response_stats: {},
      batch_stats: [],
      memory_usage: [],
    });
    const s = stat['inference_stats'] as Record<string, { count: number; ns: number }>;
    expect(s['success']).toMatchObject({ count: 5 });
    expect(s['success']!.ns).toBeGreaterThan(0);
    expect(s['compute_infer']!.ns).toBeGreaterThan(0);
    expect(s['fail']!.count).toBe(1);
    expect(stat['last_inference']).toBeGreaterThan(Date.now() - 3_600_000);
    expect(stat['execution_count']).toBeGreaterThan(0);

    // Every version of the model, and every model.
    const all = (await http(`${server.url}/v2/models/mlp/stats`)).json as { model_stats: { version: string; inference_count: number }[] };
    expect(all.model_stats.map((m) => m.version)).toEqual(['1', '2']);
    const everything = (await http(`${server.url}/v2/models/stats`)).json as { model_stats: { name: string }[] };
    expect(everything.model_stats.map((m) => m.name).sort()).toEqual(['mlp', 'mlp', 'slow']);
  });

  it('a version not loaded reports zeros without being loaded', async () => {
    const root = await tempRepository({ lazy: mlpModel(16) });
    const lazy = await serve(root, { port: 0 });
    try {
      const r = await http(`${lazy.url}/v2/models/lazy/stats`);
      expect(r.json).toMatchObject({ model_stats: [{ name: 'lazy', version: '1', inference_count: 0, last_inference: 0, inference_stats: { success: { count: 0, ns: 0 } } }] });
      expect(lazy.repository.stats().loads).toBe(0);
    } finally {
      await lazy.close();
    }
  });
});

describe('model configuration extension and server metadata', () => {
  it('answers the JSON form of the config.pbtxt that inproc export triton writes', async () => {
    const r = await http(`${server.url}/v2/models/mlp/versions/1/config`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      name: 'mlp',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      version_policy: { all: {} },
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [16] }],
      output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [16] }],
      dynamic_batching: { max_queue_delay_microseconds: 1000 },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }],
    });
    expect((await http(`${server.url}/v2/models/slow/config`)).json).toMatchObject({ name: 'slow', max_batch_size: 0, instance_group: [{ count: 1, kind: 'KIND_AUTO' }] });
  });

  it('lists every extension it serves', async () => {
    expect((await http(`${server.url}/v2`)).json).toEqual({ name: 'inproc', version: '0.1.0', extensions: ['binary_tensor_data', 'model_configuration', 'model_repository', 'schedule_policy', 'statistics'] });
  });
});
