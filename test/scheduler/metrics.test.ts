import { describe, expect, it } from 'vitest';
import { type InprocError, Tensor, allStats, loadModel, metrics } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format 0.0.4: throws on any line it does not accept. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/))) continue;
    if ((m = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/))) {
      expect(types.has(m[1]!), `TYPE ${m[1]} given twice`).toBe(false);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (-?[0-9.e+-]+|\+Inf|NaN)$/);
    if (m === null) throw new Error(`not a valid exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(m[1]!) || types.has(family), `sample ${m[1]} before its TYPE`).toBe(true);
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { types, samples };
}

describe('metrics', () => {
  it('counts requests, failures by code and stage durations per model', async () => {
    await using model = await loadModel(mlpModel(16), { name: 'tenant-a/mlp', preprocess: { name: 'id', process: (t: Tensor) => ({ x: t }) }, postprocess: { name: 'id', process: (o) => o } });
    const x = new Tensor('float32', new Float32Array(16), [1, 16]);
    for (let i = 0; i < 5; i++) await model.run(x);
    await model.run(new Tensor('float32', new Float32Array(15), [1, 15])).catch((e: unknown) => expect((e as InprocError).code).toBe('INPUT_SHAPE'));
    await model.run(x, { signal: AbortSignal.abort() }).catch((e: unknown) => expect((e as InprocError).code).toBe('ABORTED'));
    const stats = model.stats();
    expect(stats.model).toBe('tenant-a/mlp');
    expect(stats.backend).toBe('onnx-node');
    expect(stats.requests).toBe(7);
    expect(stats.successes).toBe(5);
    expect(stats.failures).toEqual({ INPUT_SHAPE: 1, ABORTED: 1 });
    expect(stats.batches).toBe(5);
    expect(stats.durationsMs.run.count).toBe(5);
    expect(stats.durationsMs.pre.count).toBe(6); // the aborted call never started pre-processing
    expect(stats.durationsMs.post.count).toBe(5);
    expect(stats.durationsMs.total.count).toBe(5);
    expect(stats.durationsMs.run.p50).toBeGreaterThan(0);
    expect(stats.durationsMs.run.p99).toBeGreaterThanOrEqual(stats.durationsMs.run.p50);
    expect(stats.durationsMs.total.max).toBeGreaterThanOrEqual(stats.durationsMs.run.min);
    expect(stats.cache).toBeUndefined();
    expect(allStats().map((s) => s.model)).toEqual(['tenant-a/mlp']);
  });

  it('counts fast-path calls in every stage: batch size 1, no queue, run time = total time', async () => {
    // No processors, no options: each call takes Model.run's fast path, which records one
    // histogram per call; stats() and the Prometheus text must still show all its stages.
    await using model = await loadModel(mlpModel(16), { name: 'plain' });
    const x = new Tensor('float32', new Float32Array(16), [1, 16]);
    for (let i = 0; i < 4; i++) await model.run({ x });
    await model.run({ x }, { priority: 1 }); // options: the queued path
    const stats = model.stats();
    expect(stats.requests).toBe(5);
    expect(stats.successes).toBe(5);
    expect(stats.batches).toBe(5);
    expect(stats.batchSize).toMatchObject({ count: 5, min: 1, max: 1, sum: 5, p50: 1 });
    expect(stats.durationsMs.queue.count).toBe(5);
    expect(stats.durationsMs.queue.min).toBe(0);
    expect(stats.durationsMs.run.count).toBe(5);
    expect(stats.durationsMs.total.count).toBe(5);
    expect(stats.durationsMs.pre.count).toBe(0);
    expect(stats.durationsMs.run.min).toBeGreaterThan(0);
    expect(stats.durationsMs.total.sum).toBeGreaterThanOrEqual(stats.durationsMs.run.sum);
    const { samples } = parsePrometheus(metrics());
    const count = (name: string, labels: Record<string, string>): number | undefined => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(count('inproc_batch_size_count', { model: 'plain' })).toBe(5);
    expect(count('inproc_batch_size_bucket', { model: 'plain', le: '1' })).toBe(5);
    for (const stage of ['queue', 'run', 'total']) expect(count('inproc_request_duration_seconds_count', { model: 'plain', stage })).toBe(5);
    // The smallest bucket (~61 µs) holds the fast-path calls' zero queue times.
    const firstQueueBucket = samples.find((s) => s.name === 'inproc_request_duration_seconds_bucket' && s.labels['model'] === 'plain' && s.labels['stage'] === 'queue');
    expect(Number(firstQueueBucket?.labels['le'])).toBeLessThan(1e-4);
    expect(firstQueueBucket?.value).toBeGreaterThanOrEqual(4);
  });

  it('bins fast-path durations held between reads: more calls than the pending buffer, read in the middle and at the end', async () => {
    // Fast-path durations wait in a small buffer and are binned when it fills or when read:
    // no call may be lost or counted twice, whichever comes first.
    await using model = await loadModel(mlpModel(16), { name: 'pending' });
    const x = new Tensor('float32', new Float32Array(16), [1, 16]);
    for (let i = 0; i < 100; i++) await model.run({ x });
    expect(model.stats().durationsMs.run.count).toBe(100);
    for (let i = 0; i < 150; i++) await model.run({ x });
    const stats = model.stats();
    expect(stats.successes).toBe(250);
    expect(stats.batchSize).toMatchObject({ count: 250, sum: 250 });
    expect(stats.durationsMs.run.count).toBe(250);
    expect(stats.durationsMs.total.count).toBe(250);
    expect(stats.durationsMs.run.min).toBeGreaterThan(0);
    expect(stats.durationsMs.run.max).toBeGreaterThanOrEqual(stats.durationsMs.run.p50);
    expect(model.stats().durationsMs.run.sum).toBe(stats.durationsMs.run.sum); // reading bins nothing twice
  });

  it('renders every live model in the Prometheus text format, and forgets disposed ones', async () => {
    const a = await loadModel(mlpModel(8), { name: 'a "quoted"\\name' });
    const b = await loadModel(mlpModel(8), { name: 'b', cache: { maxBytes: 1 << 20 } });
    const x = new Tensor('float32', new Float32Array(8), [1, 8]);
    await a.run({ x });
    await b.run({ x });
    await b.run({ x });
    const { types, samples } = parsePrometheus(metrics());
    expect(types.get('inproc_requests_total')).toBe('counter');
    expect(types.get('inproc_request_duration_seconds')).toBe('histogram');
    const requests = samples.filter((s) => s.name === 'inproc_requests_total');
    expect(requests.map((s) => [s.labels['model'], s.value])).toEqual([['a \\"quoted\\"\\\\name', 1], ['b', 2]]);
    const buckets = samples.filter((s) => s.name === 'inproc_request_duration_seconds_bucket' && s.labels['model'] === 'b' && s.labels['stage'] === 'total');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 2 });
    expect(samples.find((s) => s.name === 'inproc_cache_hits_total')).toMatchObject({ labels: { model: 'b' }, value: 1 });
    await a.dispose();
    await b.dispose();
    expect(parsePrometheus(metrics()).samples).toEqual([]);
  });
});

describe('response cache', () => {
  it('answers identical inputs from memory, with copies, and counts hits and misses', async () => {
    await using model = await loadModel(mlpModel(16), { cache: { maxBytes: 1 << 20 } });
    const data = Float32Array.from({ length: 16 }, (_, i) => i / 16);
    const first = await model.run({ x: new Tensor('float32', data, [1, 16]) });
    const second = await model.run({ x: new Tensor('float32', data.slice(), [1, 16]) });
    expect([...(second['y']!.data as Float32Array)]).toEqual([...(first['y']!.data as Float32Array)]);
    (second['y']!.data as Float32Array).fill(0); // mutating a result must not corrupt the cache
    const third = await model.run({ x: new Tensor('float32', data, [1, 16]) });
    expect([...(third['y']!.data as Float32Array)]).toEqual([...(first['y']!.data as Float32Array)]);
    const other = await model.run({ x: new Tensor('float32', data.map((v) => v + 1), [1, 16]) });
    expect(other['y']!.data).not.toEqual(first['y']!.data);
    expect(model.stats().cache).toMatchObject({ hits: 2, misses: 2, entries: 2 });
    expect(model.stats().batches).toBe(2); // only the misses reached the backend
  });

  it('evicts the least recently used entries to stay within its byte budget', async () => {
    // One entry: 16 input floats + 16 output floats = 128 bytes; room for two.
    await using model = await loadModel(mlpModel(16), { cache: { maxBytes: 300 } });
    const input = (v: number) => ({ x: new Tensor('float32', new Float32Array(16).fill(v), [1, 16]) });
    await model.run(input(1));
    await model.run(input(2));
    await model.run(input(1)); // hit: 1 becomes most recent
    await model.run(input(3)); // evicts 2
    await model.run(input(1)); // hit
    await model.run(input(2)); // miss
    expect(model.stats().cache).toMatchObject({ hits: 2, misses: 4, entries: 2, bytes: 256 });
  });

  it('rejects a bad cache option', async () => {
    await expect(loadModel(mlpModel(4), { cache: { maxBytes: 0 } })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(loadModel(mlpModel(4), { name: '' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});
