import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, Tensor, openRepository, parseManifest, registerProcessor, resources, type Outputs, type Repository, type RepositoryEvent } from 'inproc';
import { answeredVersion, code, publish, tempRoot, versionModel, x4, zero, failure } from './helpers.js';

export const calls = { pre: 0, post: 0 };

registerProcessor({
  name: 'test.to-tensor',
  description: 'number[] -> { x: float32 [1, n] }',
  params: [],
  create: () => ({
    name: 'test.to-tensor',
    process: (input: unknown) => {
      calls.pre++;
      return { x: new Tensor('float32', Float32Array.from(input as number[]), [1, (input as number[]).length]) };
    },
  }),
});
registerProcessor({
  name: 'test.first',
  description: 'the first element of y, plus offset',
  params: ['offset'],
  create: (params) => {
    const offset = params['offset'] ?? 0;
    if (typeof offset !== 'number') throw new InprocError('INPUT_INVALID', `offset must be a number, got ${typeof offset}`);
    return {
      name: 'test.first',
      process: (outputs: unknown) => {
        calls.post++;
        return (outputs as Outputs)['y']!.data[0] as number + offset;
      },
    };
  },
});

let root: string;

afterEach(() => {
  expect(resources()).toEqual(zero);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const bad: [string, unknown, string][] = [
  ['not an object', [1, 2], ''],
  ['format', { format: 'pytorch' }, 'format'],
  ['backend empty list', { backend: [] }, 'backend'],
  ['backend entry', { backend: ['onnx-node', 5] }, 'backend[1]'],
  ['device', { device: '' }, 'device'],
  ['model type', { model: 5 }, 'model'],
  ['model empty', { model: '' }, 'model'],
  ['labels type', { labels: ['a'] }, 'labels'],
  ['description type', { description: 5 }, 'description'],
  ['processor name', { preprocess: [{ name: 5 }] }, 'preprocess[0].name'],
  ['processor extra key', { postprocess: [{ name: 'test.first', param: { offset: 1 } }] }, 'postprocess[0].param'],
  ['processor params type', { postprocess: [{ name: 'test.first', params: [1] }] }, 'postprocess[0].params'],
  ['unknown processor', { preprocess: [{ name: 'no.such.processor' }] }, 'preprocess[0]'],
  ['processor parameter unknown', { postprocess: [{ name: 'test.first', params: { offst: 1 } }] }, 'postprocess[0]'],
  ['processor parameter rejected', { postprocess: [{ name: 'test.first', params: { offset: 'one' } }] }, 'postprocess[0]'],
  ['batching size', { batching: { maxBatchSize: 0, maxDelayMs: 1 } }, 'batching.maxBatchSize'],
  ['batching delay', { batching: { maxBatchSize: 4, maxDelayMs: -1 } }, 'batching.maxDelayMs'],
  ['batching preferred', { batching: { maxBatchSize: 4, maxDelayMs: 1, preferredSizes: [2, 8] } }, 'batching.preferredSizes[1]'],
  ['batching type', { batching: true }, 'batching'],
  ['concurrency', { concurrency: 0 }, 'concurrency'],
  ['maxQueue', { maxQueue: 1.5 }, 'maxQueue'],
  ['warmup runs', { warmup: { runs: '3' } }, 'warmup.runs'],
  ['warmup negative', { warmup: -1 }, 'warmup'],
  ['warmup data', { warmup: { data: 'ones' } }, 'warmup.data'],
  ['warmup samples and data', { warmup: { data: 'zeros', samples: { x: 'x.npy' } } }, 'warmup.samples'],
  ['warmup empty sample set', { warmup: { samples: {} } }, 'warmup.samples'],
  ['warmup sample file type', { warmup: { samples: [{ x: 5 }] } }, 'warmup.samples[0].x'],
  ['warmup seed', { warmup: { data: 'random', seed: -1 } }, 'warmup.seed'],
  ['warmup dynamicSize', { warmup: { dynamicSize: 0 } }, 'warmup.dynamicSize'],
  ['backendOptions', { backendOptions: 'fast' }, 'backendOptions'],
  ['metadata', { metadata: ['free', 'form'] }, 'metadata'],
];

beforeAll(async () => {
  root = await tempRoot('inproc-manifest-');
  for (const [i, [, manifest]] of bad.entries()) await publish(root, `bad-${i}`, 1, { model: versionModel(1), manifest });
  await publish(root, 'not-json', 1, { model: versionModel(1), manifest: '{ "model": "model.onnx", ' });
  await publish(root, 'not-utf8', 1, { model: versionModel(1), files: { 'inproc.json': new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) } });
  await publish(root, 'typo', 1, { model: versionModel(1), manifest: { warmpu: 3, device: 'cpu', warmup: { rusn: 2 } } });
  await publish(root, 'full', 1, {
    manifest: {
      $schema: 'https://example.com/inproc.schema.json',
      description: 'adds one',
      model: 'net/adder.onnx',
      format: 'onnx',
      backend: ['onnx-node'],
      device: 'cpu',
      preprocess: [{ name: 'test.to-tensor' }],
      postprocess: { name: 'test.first', params: { offset: 100 } },
      labels: 'labels.txt',
      concurrency: 1,
      maxQueue: 64,
      warmup: { runs: 2 },
      backendOptions: { graphOptimizationLevel: 'all' },
      metadata: { owner: 'team-a', tags: ['x', 'y'] },
    },
    files: { 'net/adder.onnx': versionModel(1), 'labels.txt': 'cat\ndog\n\n' },
  });
  await publish(root, 'json-labels', 1, { model: versionModel(1), manifest: { labels: 'labels.json' }, files: { 'labels.json': '["a", "b,c"]' } });
  await publish(root, 'bad-labels', 1, { model: versionModel(1), manifest: { labels: 'labels.json' }, files: { 'labels.json': '[1, 2]' } });
  await publish(root, 'missing-labels', 1, { model: versionModel(1), manifest: { labels: 'labels.txt' } });
  await publish(root, 'missing-model', 1, { manifest: { model: 'nothing-here.onnx', description: 'no model file' }, files: { 'other.onnx': versionModel(1) } });
});

describe('bad manifests are MODEL_INVALID naming the field', () => {
  let repo: Repository;
  beforeAll(async () => {
    repo = await openRepository(root);
  });
  afterAll(async () => {
    await repo.close();
  });

  for (const [i, [label, , field]] of bad.entries()) {
    it(`${label} -> "${field}"`, async () => {
      const error = await failure(repo.get(`bad-${i}`));
      expect(error).toBeInstanceOf(InprocError);
      expect(error.code).toBe('MODEL_INVALID');
      expect(error.details).toMatchObject({ field });
      if (field !== '') expect(error.message).toContain(`"${field}"`);
    });
  }

  it('invalid JSON and invalid UTF-8', async () => {
    expect(await code(repo.get('not-json'))).toBe('MODEL_INVALID');
    expect(await code(repo.get('not-utf8'))).toBe('MODEL_INVALID');
  });

  it('labels: a JSON file that is not an array of strings is MODEL_INVALID; a missing file MODEL_NOT_FOUND', async () => {
    expect(await code(repo.get('bad-labels'))).toBe('MODEL_INVALID');
    expect(await code(repo.get('missing-labels'))).toBe('MODEL_NOT_FOUND');
  });

  it('a version whose manifest names a missing model file is incomplete, so not served', async () => {
    expect(repo.versions('missing-model')).toMatchObject({ available: [], current: undefined });
    expect(await code(repo.get('missing-model'))).toBe('VERSION_NOT_FOUND');
  });
});

describe('manifests', () => {
  it('unknown keys are reported as warning events (lenient) or rejected (strictManifests)', async () => {
    await using lenient = await openRepository(root);
    const warnings: RepositoryEvent[] = [];
    lenient.on('warning', (event) => warnings.push(event));
    expect(answeredVersion(await lenient.run('typo', x4()))).toBe(1);
    expect(warnings).toEqual([
      { type: 'warning', name: 'typo', version: 1, message: expect.stringContaining('unknown field "warmpu"') as unknown },
      { type: 'warning', name: 'typo', version: 1, message: expect.stringContaining('unknown field "warmup.rusn"') as unknown },
    ]);
    await using strict = await openRepository(root, { strictManifests: true });
    const error = await failure(strict.get('typo'));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.details).toMatchObject({ field: 'warmpu' });
  });

  it('a full manifest: model file, processors by name with params, labels, load settings, metadata', async () => {
    await using repo = await openRepository(root);
    const events: RepositoryEvent[] = [];
    repo.on('load', (e) => events.push(e));
    calls.pre = 0;
    calls.post = 0;
    await using lease = await repo.get<number[], number>('full');
    // Warm-up ran twice on the model itself: the processors were not called.
    expect(events).toMatchObject([{ type: 'load', name: 'full', version: 1, warmupRuns: 2 }]);
    expect(lease.stats().requests).toBe(2);
    expect(calls).toEqual({ pre: 0, post: 0 });
    expect(await lease.run([5, 6, 7, 8])).toBe(5 + 1 + 100);
    expect(calls).toEqual({ pre: 1, post: 1 });
    expect(lease.labels).toEqual(['cat', 'dog']);
    expect(lease.manifest.metadata).toEqual({ owner: 'team-a', tags: ['x', 'y'] });
    expect(lease.backend).toBe('onnx-node');
    expect(lease.device).toBe('cpu');
    expect(lease.source).toMatch(/full[/\\]1[/\\]net[/\\]adder\.onnx$/);
    expect(await repo.metadata('full')).toMatchObject({ name: 'full', version: 1, versions: [1], format: 'onnx', description: 'adds one', metadata: { owner: 'team-a', tags: ['x', 'y'] } });
  });

  it('labels as a JSON array', async () => {
    await using repo = await openRepository(root);
    await using lease = await repo.get('json-labels');
    expect(lease.labels).toEqual(['a', 'b,c']);
  });

  it('repository load options override the manifest', async () => {
    await using repo = await openRepository(root, { load: { backend: 'no-such-backend' } });
    expect(await code(repo.get('full'))).toBe('BACKEND_UNAVAILABLE');
  });

  it('parseManifest validates bytes directly', () => {
    const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
    expect(parseManifest(bytes({ warmup: 3, batching: false }), 'm').manifest).toEqual({ warmup: { runs: 3 }, batching: false });
    expect(parseManifest(bytes({ extra: 1 }), 'm').warnings).toHaveLength(1);
    expect(() => parseManifest(bytes({ extra: 1 }), 'm', true)).toThrow(InprocError);
    expect(() => parseManifest(new Uint8Array(2 << 20).fill(0x20), 'm')).toThrow(/at most/);
    expect(() => parseManifest(bytes(null), 'm')).toThrow(InprocError);
  });
});
