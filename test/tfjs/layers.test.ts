/**
 * A TF.js layers model built and saved in code (`tf.sequential` / `tf.model`, `model.save`
 * to an in-memory handler and to files), loaded through `loadModel`: the same answers as
 * TF.js's own `predict`, its signature from the input and output layers, and disposal
 * that frees its variables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, loadModel, resources } from 'inproc';
import { fromArtifacts, type TfjsModelArtifacts } from '@inproc/tfjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codeOf, liveTfTensors, tempDir, tf } from './helpers.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };

/** A small classifier with seeded weights: dense 8 -> 16 relu -> 3 softmax. */
function buildClassifier(): ReturnType<typeof tf.sequential> {
  const model = tf.sequential({ name: 'classifier' });
  model.add(tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

/** A two-input, two-output functional model. */
function buildTwoHeads(): ReturnType<typeof tf.model> {
  const a = tf.input({ shape: [4], name: 'a' });
  const b = tf.input({ shape: [2], name: 'b' });
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([a, b]) as ReturnType<typeof tf.input>;
  const sum = tf.layers.dense({ units: 1, name: 'total', kernelInitializer: 'ones', useBias: false }).apply(joined) as ReturnType<typeof tf.input>;
  const scaled = tf.layers.dense({ units: 6, name: 'scaled', kernelInitializer: tf.initializers.identity({ gain: 2 }), useBias: false }).apply(joined) as ReturnType<typeof tf.input>;
  return tf.model({ inputs: [a, b], outputs: [sum, scaled], name: 'two_heads' });
}

async function save(model: { save: (handler: ReturnType<typeof tf.io.withSaveHandler>) => Promise<unknown> }): Promise<TfjsModelArtifacts> {
  let saved: TfjsModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let classifier: TfjsModelArtifacts;
let twoHeads: TfjsModelArtifacts;
let expected: Float32Array;
const x = Float32Array.from({ length: 2 * 8 }, (_, i) => Math.sin(i));

beforeAll(async () => {
  tmp = await tempDir();
  await tf.setBackend('wasm').catch(() => tf.setBackend('cpu'));
  const built = buildClassifier();
  classifier = await save(built);
  expected = tf.tidy(() => (built.predict(tf.tensor2d(x, [2, 8])) as ReturnType<typeof tf.tensor>).dataSync() as Float32Array);
  built.dispose();
  const heads = buildTwoHeads();
  twoHeads = await save(heads);
  heads.dispose();
});
afterAll(async () => {
  await tmp.remove();
  expect(resources()).toEqual(ZERO);
});

describe('tfjs layers models', () => {
  for (const device of ['wasm', 'cpu']) {
    it(`loads a model saved in memory and predicts like TF.js (${device})`, async () => {
      const before = liveTfTensors();
      const { bytes, options } = fromArtifacts(classifier);
      expect(options.format).toBe('tfjs-layers');
      const model = await loadModel(bytes, { ...options, backend: 'tfjs', device });
      expect(model.format).toBe('tfjs-layers');
      expect(model.metadata['execution']).toBe('predict');
      expect(model.signature).toEqual({
        inputs: [{ name: 'hidden_input', dtype: 'float32', shape: [null, 8] }],
        outputs: [{ name: 'probs', dtype: 'float32', shape: [null, 3] }],
      });
      const { probs } = await model.run(new Tensor('float32', x, [2, 8]));
      expect(probs!.shape).toEqual([2, 3]);
      const got = probs!.data as Float32Array;
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
      await model.dispose();
      expect(liveTfTensors()).toBe(before);
      expect(resources()).toEqual(ZERO);
    });
  }

  it('loads a layers model saved as files (model.json + shard) from its directory', async () => {
    const { bytes, options } = fromArtifacts(classifier);
    await writeFile(join(tmp.dir, 'model.json'), bytes);
    await writeFile(join(tmp.dir, 'weights.bin'), options.backendOptions.weights['weights.bin']!);
    await using model = await loadModel(tmp.dir, { device: 'wasm' });
    expect(model.backend).toBe('tfjs');
    expect(model.format).toBe('tfjs-layers');
    const { probs } = await model.run(new Tensor('float32', x, [2, 8]));
    const got = probs!.data as Float32Array;
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
  });

  it('feeds several inputs by name and returns the outputs asked for', async () => {
    const before = liveTfTensors();
    const { bytes, options } = fromArtifacts(twoHeads);
    const model = await loadModel(bytes, { ...options, backend: 'tfjs', device: 'wasm' });
    expect(model.signature.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(model.signature.outputs.map((o) => `${o.name}${JSON.stringify(o.shape)}`)).toEqual(['total[null,1]', 'scaled[null,6]']);
    const feeds = { b: new Tensor('float32', [5, 6], [1, 2]), a: new Tensor('float32', [1, 2, 3, 4], [1, 4]) };
    const all = await model.run(feeds);
    expect([...(all['total']!.data as Float32Array)]).toEqual([21]);
    expect([...(all['scaled']!.data as Float32Array)]).toEqual([2, 4, 6, 8, 10, 12]);
    const one = await model.run(feeds, { outputs: ['scaled'] });
    expect(Object.keys(one)).toEqual(['scaled']);
    expect((await codeOf(model.run({ a: feeds.a }))).code).toBe('INPUT_MISSING');
    await model.dispose();
    expect(liveTfTensors()).toBe(before);
  });

  it('rejects weights that do not fit the topology with MODEL_INVALID', async () => {
    const { bytes, options } = fromArtifacts(classifier);
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    // Declare the hidden kernel 8x8 instead of 8x16, and hand over weights of that size.
    const specs = doc.weightsManifest[0]!.weights;
    specs[0]!.shape = [8, 8];
    const size = specs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    const r = await codeOf(loadModel(new TextEncoder().encode(JSON.stringify(doc)), { ...options, backend: 'tfjs', device: 'wasm', backendOptions: { weights: new Uint8Array(size) } }));
    expect(r.code).toBe('MODEL_INVALID');
    expect(r.message).toContain('TensorFlow.js could not load the layers model');
    expect(resources()).toEqual(ZERO);
  });
});
