/**
 * Loading TF.js models: from a directory, a model.json path and bytes; weight shards
 * beside the file or in memory; progress over the shards; cancellation; and every way a
 * model.json or its shards can be wrong, each with its code and the file or field named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, loadModel, resources } from 'inproc';
import { fromArtifacts } from '@inproc/tfjs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFixture, type TfjsFixture } from '@inproc/testkit/tfjs/builder';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { tfjsFixed, tfjsMlp } from '@inproc/testkit/tfjs/models';
import { codeOf, liveTfTensors, tempDir } from './helpers.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
const device = 'wasm';

/** The MLP with its weights split over two groups and three shards, as the converter shards large models. */
function shardedMlp(): { json: Uint8Array; files: Record<string, Uint8Array> } {
  const mlp = tfjsMlp(64);
  const doc = JSON.parse(new TextDecoder().decode(mlp.json)) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
  const [group] = doc.weightsManifest;
  const specs = group!.weights;
  // W1 (16 KiB) + B1 in group 1 split over two files, W2 + B2 in group 2.
  const sizes = specs.map((w) => 4 * w.shape.reduce((a, b) => a * b, 1));
  const first = sizes[0]! + sizes[1]!;
  const bytes = mlp.weights;
  doc.weightsManifest = [
    { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs.slice(0, 2) },
    { paths: ['group2-shard1of1.bin'], weights: specs.slice(2) },
  ];
  return {
    json: new TextEncoder().encode(JSON.stringify(doc)),
    files: {
      'group1-shard1of2.bin': bytes.slice(0, 8192),
      'group1-shard2of2.bin': bytes.slice(8192, first),
      'group2-shard1of1.bin': bytes.slice(first),
    },
  };
}

async function writeSharded(dir: string): Promise<{ json: Uint8Array; files: Record<string, Uint8Array> }> {
  const sharded = shardedMlp();
  await writeFile(join(dir, 'model.json'), sharded.json);
  for (const [name, bytes] of Object.entries(sharded.files)) await writeFile(join(dir, name), bytes);
  return sharded;
}

function input(batch: number, size: number): Tensor<'float32'> {
  return new Tensor('float32', Float32Array.from({ length: batch * size }, (_, i) => Math.cos(i * 0.21)), [batch, size]);
}

function expectMatchesReference(y: Tensor | undefined, x: Tensor<'float32'>, batch: number, size: number): void {
  const want = mlpReference(x.data, batch, size);
  const got = y!.data as Float32Array;
  expect(got.length).toBe(want.length);
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  expect(diff).toBeLessThan(1e-4);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
  expect(resources()).toEqual(ZERO);
});

describe('tfjs loading', () => {
  it('loads a directory and a model.json path, reading sharded weights, with progress over the shards', async () => {
    const dir = join(tmp.dir, 'sharded');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const sharded = await writeSharded(dir);
    const shardBytes = Object.values(sharded.files).reduce((n, b) => n + b.byteLength, 0);
    const tensorsBefore = liveTfTensors();
    for (const path of [dir, join(dir, 'model.json')]) {
      const progress: { loaded: number; total?: number }[] = [];
      const model = await loadModel(path, { backend: 'tfjs', device, onProgress: (p) => progress.push(p) });
      expect(model.format).toBe('tfjs-graph');
      expect(model.device).toBe('wasm');
      expect(model.metadata['engine']).toBe('wasm');
      expect(model.source).toBe(join(dir, 'model.json'));
      // The model.json first (core), then one report per shard, cumulative, ending at the total.
      const total = sharded.json.byteLength + shardBytes;
      const shardReports = progress.filter((p) => p.total === total);
      expect(shardReports.map((p) => p.loaded)).toEqual([
        sharded.json.byteLength + 8192,
        sharded.json.byteLength + sharded.files['group1-shard1of2.bin']!.byteLength + sharded.files['group1-shard2of2.bin']!.byteLength,
        total,
      ]);
      expect(resources().bytes).toBe(shardBytes);
      const x = input(2, 64);
      expectMatchesReference((await model.run({ x }))['y'], x, 2, 64);
      await model.dispose();
    }
    expect(liveTfTensors()).toBe(tensorsBefore);
    expect(resources()).toEqual(ZERO);
  });

  it('takes in-memory weights as one buffer, an array of shards or a record by file name', async () => {
    const sharded = shardedMlp();
    const files = Object.values(sharded.files);
    const joined = new Uint8Array(files.reduce((n, b) => n + b.byteLength, 0));
    let offset = 0;
    for (const b of files) {
      joined.set(b, offset);
      offset += b.byteLength;
    }
    const x = input(1, 64);
    for (const weights of [joined, joined.buffer, files, files.map((f) => f.slice().buffer), sharded.files, { './group2-shard1of1.bin': sharded.files['group2-shard1of1.bin']!, 'group1-shard1of2.bin': files[0]!, 'group1-shard2of2.bin': files[1]! }]) {
      await using model = await loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights } });
      expectMatchesReference((await model.run({ x }))['y'], x, 1, 64);
    }
  });

  it('rejects a missing shard, a shard of the wrong size, and bytes without weights, naming the file', async () => {
    const dir = join(tmp.dir, 'broken');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const sharded = await writeSharded(dir);
    const tensorsBefore = liveTfTensors();
    await import('node:fs/promises').then((fs) => fs.rm(join(dir, 'group1-shard2of2.bin')));
    let r = await codeOf(loadModel(dir, { backend: 'tfjs', device }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('"group1-shard2of2.bin" (weightsManifest[0].paths[1]) is missing');

    await writeFile(join(dir, 'group1-shard2of2.bin'), sharded.files['group1-shard2of2.bin']!.subarray(4));
    r = await codeOf(loadModel(dir, { backend: 'tfjs', device }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toMatch(/"group1-shard1of2\.bin" \(8192 bytes\), "group1-shard2of2\.bin" \(\d+ bytes\) of weightsManifest\[0\] hold \d+ bytes, but the 2 weights listed need 16640/);

    const padded = new Uint8Array(sharded.files['group2-shard1of1.bin']!.byteLength + 1);
    await writeFile(join(dir, 'group1-shard2of2.bin'), sharded.files['group1-shard2of2.bin']!);
    await writeFile(join(dir, 'group2-shard1of1.bin'), padded);
    r = await codeOf(loadModel(dir, { backend: 'tfjs', device }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('"group2-shard1of1.bin"');

    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('backendOptions.weights');
    expect(r.message).toContain('"group1-shard1of2.bin"');

    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights: { 'group1-shard1of2.bin': sharded.files['group1-shard1of2.bin']! } } }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('"group1-shard2of2.bin" is missing from backendOptions.weights');
    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights: { ...sharded.files, 'other.bin': new Uint8Array(4) } } }));
    expect(r.code).toBe('INPUT_INVALID');
    expect(r.message).toContain('"other.bin"');
    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights: new Uint8Array(100) } }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toMatch(/holds 100 bytes, but the weights manifest lists \d+ bytes/);
    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights: [new Uint8Array(4)] } }));
    expect(r.code).toBe('INPUT_INVALID');
    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weights: 'weights.bin' } }));
    expect(r.code).toBe('INPUT_INVALID');
    r = await codeOf(loadModel(sharded.json, { backend: 'tfjs', device, backendOptions: { weigths: {} } }));
    expect(r.code).toBe('INPUT_INVALID');
    expect(r.message).toContain('backendOptions.weigths');
    expect(liveTfTensors()).toBe(tensorsBefore);
    expect(resources()).toEqual(ZERO);
  });

  it('refuses a shard path that leaves the model directory', async () => {
    const dir = join(tmp.dir, 'escape');
    const fixed = tfjsFixed();
    await writeFixture(fixed, dir);
    const doc = JSON.parse(new TextDecoder().decode(fixed.json)) as { weightsManifest: { paths: string[] }[] };
    doc.weightsManifest[0]!.paths = ['../../etc/passwd'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(doc));
    const r = await codeOf(loadModel(dir, { backend: 'tfjs', device }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('outside the model');
  });

  it('names the field of a malformed model.json', async () => {
    const base = JSON.parse(new TextDecoder().decode(tfjsFixed().json)) as Record<string, unknown>;
    const weights = tfjsFixed().weights;
    // Mutations of a parsed model.json, whose shape the test knows.
    type Doc = { modelTopology: { node: { name: string; op?: string; input?: string[] }[] | object }; weightsManifest: { paths: unknown[]; weights: { shape: number[]; dtype: string }[] }[] | object } & Record<string, unknown>;
    const nodes = (d: Doc) => d.modelTopology.node as { name: string; op?: string; input?: string[] }[];
    const groups = (d: Doc) => d.weightsManifest as { paths: unknown[]; weights: { shape: number[]; dtype: string }[] }[];
    const variants: [string, (doc: Doc) => void, RegExp][] = [
      ['node not an array', (d) => (d.modelTopology.node = { op: 'Placeholder' }), /"modelTopology\.node" must be an array/],
      ['node without op', (d) => delete nodes(d)[0]!.op, /"modelTopology\.node\[0\]\.op" \(node "x"\)/],
      ['unknown input', (d) => (nodes(d)[2]!.input = ['x', 'nowhere']), /"modelTopology\.node\[2\]\.input": node "y" reads "nowhere"/],
      ['duplicate node', (d) => nodes(d).push({ name: 'y', op: 'Identity', input: ['x'] }), /node "y" appears twice/],
      ['bad weight shape', (d) => (groups(d)[0]!.weights[0]!.shape = [-1]), /"weightsManifest\[0\]\.weights\[0\]\.shape" \(weight "two"\)/],
      ['bad weight dtype', (d) => (groups(d)[0]!.weights[0]!.dtype = 'float99'), /"weightsManifest\[0\]\.weights\[0\]\.dtype"/],
      ['manifest not an array', (d) => (d.weightsManifest = {}), /"weightsManifest" must be an array/],
      ['paths not strings', (d) => (groups(d)[0]!.paths = [3]), /"weightsManifest\[0\]\.paths"/],
      ['topology missing', (d) => delete (d as Partial<Doc>).modelTopology, /"modelTopology" must be an object/],
    ];
    const tensorsBefore = liveTfTensors();
    for (const [what, mutate, message] of variants) {
      const doc = structuredClone(base) as Doc;
      mutate(doc);
      const bytes = new TextEncoder().encode(JSON.stringify(doc));
      const loading = loadModel(bytes, { backend: 'tfjs', device, format: 'tfjs-graph', backendOptions: { weights } });
      const r = await codeOf(loading.then(async (m) => (await m.dispose(), Promise.reject(new Error(`${what}: loaded`)))));
      expect(r.code, what).toBe('MODEL_INVALID');
      expect(r.message, what).toMatch(message);
    }
    // TF.js finds an op it does not implement only when it runs it: RUN_FAILED naming the op.
    const unsupported = structuredClone(base) as Doc;
    nodes(unsupported)[2]!.op = 'NoSuchOpV9';
    {
      await using model = await loadModel(new TextEncoder().encode(JSON.stringify(unsupported)), { backend: 'tfjs', device, backendOptions: { weights } });
      const r = await codeOf(model.run(new Tensor('float32', new Float32Array(6), [2, 3])));
      expect(r.code).toBe('RUN_FAILED');
      expect(r.message).toContain('NoSuchOpV9');
    }
    const layers = await codeOf(loadModel(new TextEncoder().encode(JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 7 } })), { backend: 'tfjs', device }));
    expect(layers.code).toBe('MODEL_INVALID');
    expect(layers.message).toContain('"modelTopology.class_name"');
    expect(liveTfTensors()).toBe(tensorsBefore);
    expect(resources()).toEqual(ZERO);
  });

  it('aborts a load between shards and before it starts, leaving nothing behind', async () => {
    const dir = join(tmp.dir, 'abort');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const sharded = await writeSharded(dir);
    const tensorsBefore = liveTfTensors();
    const controller = new AbortController();
    let reports = 0;
    const r = await codeOf(
      loadModel(dir, {
        backend: 'tfjs',
        device,
        signal: controller.signal,
        onProgress: (p) => {
          // Abort once the first shard is in: the load stops before the next one.
          if (p.loaded > sharded.json.byteLength && ++reports === 1) controller.abort();
        },
      }),
    );
    expect(r.code).toBe('ABORTED');
    expect(reports).toBe(1);
    const done = new AbortController();
    done.abort();
    expect((await codeOf(loadModel(dir, { backend: 'tfjs', device, signal: done.signal }))).code).toBe('ABORTED');
    expect(liveTfTensors()).toBe(tensorsBefore);
    expect(resources()).toEqual(ZERO);
  });

  it('loads in-memory artifacts through fromArtifacts, and rejects bad ones', async () => {
    const fixture: TfjsFixture = tfjsFixed();
    const doc = JSON.parse(new TextDecoder().decode(fixture.json)) as { modelTopology: object; weightsManifest: { weights: never[] }[]; signature: object };
    const artifacts = { modelTopology: doc.modelTopology, format: 'graph-model', weightSpecs: doc.weightsManifest[0]!.weights, weightData: [fixture.weights.slice(0, 2).buffer, fixture.weights.slice(2).buffer], signature: doc.signature };
    const { bytes, options } = fromArtifacts(artifacts);
    expect(options.format).toBe('tfjs-graph');
    await using model = await loadModel(bytes, { ...options, backend: 'tfjs', device });
    expect([...((await model.run(new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3])))['y']!.data as Float32Array)]).toEqual([2, 4, 6, 8, 10, 12]);
    expect(model.signature.inputs[0]).toEqual({ name: 'x', dtype: 'float32', shape: [2, 3] });
    expect(() => fromArtifacts({ modelTopology: new ArrayBuffer(8) })).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => fromArtifacts(null as never)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => fromArtifacts({ modelTopology: {}, weightData: new ArrayBuffer(4) })).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  it('reads a real converter-written model.json unchanged from disk', async () => {
    // The fixtures are plain files too: a directory written by writeFixture loads by path.
    const dir = await writeFixture(tfjsMlp(32), join(tmp.dir, 'mlp32'));
    expect(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).format).toBe('graph-model');
    await using model = await loadModel(dir, { device });
    expect(model.backend).toBe('tfjs');
    expect(model.signature.inputs[0]!.shape).toEqual(['batch', 32]);
  });
});
