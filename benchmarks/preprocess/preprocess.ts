/**
 * Image preprocessing: JPEG bytes -> 224x224 normalised NCHW float32 (ImageNet mean and
 * std, bilinear, aspect ratio not kept, as ViT's processor does) for ordinary photos,
 * three ways, interleaved in one run so that machine noise hits all alike:
 *
 * - `@inproc/image`: `imageToTensor` (shrink-on-load, one pass to the float array);
 * - hand-written: the shortest sharp pipeline plus a normalising loop, written for this
 *   one case (the floor for anything built on sharp);
 * - transformers.js: `ViTImageProcessor` on `RawImage.fromBlob` (what an application on
 *   transformers.js would call).
 *
 * Photos: the six demo JPEGs of @vladmandic/face-api (MIT; people indoors and
 * outdoors, up to 1920 px), fetched as a pinned, integrity-checked npm tarball.
 *
 *   npm run build && npx tsx benchmarks/preprocess/preprocess.ts [--quick] [--json]
 *
 * Prints the median ms per image of each and the ratios; asserts nothing.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { RawImage, ViTImageProcessor, env } from '@huggingface/transformers';
import { imageToTensor } from '@inproc/image';
import sharp from 'sharp';
import { FACE_API } from '@inproc/testkit/human-models';
import { packageFiles } from '@inproc/testkit/npm-tarball';
import { machine } from '../lib/environment.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const rounds = values.quick ? 3 : 25;

env.allowRemoteModels = false;

const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;
const SIZE = 224;

const files = await packageFiles(FACE_API, [1, 2, 3, 4, 5, 6].map((i) => `demo/sample${i}.jpg`));
const photos = await Promise.all(files.map(async (f) => new Uint8Array(await readFile(f))));
const sizes = await Promise.all(photos.map(async (p) => sharp(p).metadata()));

async function inproc(bytes: Uint8Array): Promise<Float32Array> {
  const { tensor } = await imageToTensor(bytes, { width: SIZE, height: SIZE, fit: 'fill', kernel: 'linear', mean: MEAN, std: STD });
  return tensor.data;
}

async function handWritten(bytes: Uint8Array): Promise<Float32Array> {
  const { data, info } = await sharp(bytes).resize(SIZE, SIZE, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = SIZE * SIZE;
  const out = new Float32Array(3 * plane);
  const c = info.channels;
  const s0 = 1 / 255 / STD[0], s1 = 1 / 255 / STD[1], s2 = 1 / 255 / STD[2];
  const b0 = -MEAN[0] / STD[0], b1 = -MEAN[1] / STD[1], b2 = -MEAN[2] / STD[2];
  for (let i = 0, j = 0; i < plane; i++, j += c) {
    out[i] = data[j]! * s0 + b0;
    out[i + plane] = data[j + 1]! * s1 + b1;
    out[i + 2 * plane] = data[j + 2]! * s2 + b2;
  }
  return out;
}

const vit = new ViTImageProcessor({
  do_resize: true,
  size: { height: SIZE, width: SIZE },
  resample: 2,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [...MEAN],
  image_std: [...STD],
});

async function transformers(bytes: Uint8Array): Promise<Float32Array> {
  const image = await RawImage.fromBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
  const { pixel_values } = (await vit(image)) as { pixel_values: { data: Float32Array; dims: number[] } };
  return pixel_values.data;
}

const contenders = { inproc, handWritten, transformers } as const;
type Name = keyof typeof contenders;
const names = Object.keys(contenders) as Name[];

// Same answer check before timing: @inproc/image must equal the hand-written pipeline;
// transformers.js resamples differently (sharp's affine, no antialiasing), so its gap is shown.
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const checks = await Promise.all(photos.map(async (p) => ({ vsHand: maxDiff(await inproc(p), await handWritten(p)), vsTransformers: maxDiff(await inproc(p), await transformers(p)) })));

// Warm-up, then rounds; within a round each photo is run by every contender, in an order that rotates.
for (const p of photos) for (const n of names) await contenders[n](p);
const samples: Record<Name, number[]> = { inproc: [], handWritten: [], transformers: [] };
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < photos.length; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + i + k) % names.length]!;
      const start = performance.now();
      await contenders[name](photos[i]!);
      samples[name].push(performance.now() - start);
    }
  }
}

const summary = Object.fromEntries(names.map((n) => [n, summarize(samples[n])])) as Record<Name, ReturnType<typeof summarize>>;
const result = {
  suite: 'preprocess',
  machine: machine(),
  photos: sizes.map((m, i) => `sample${i + 1}.jpg ${m.width}x${m.height}`),
  rounds,
  msPerImage: Object.fromEntries(names.map((n) => [n, +summary[n].p50.toFixed(2)])),
  ratios: {
    inprocOverHandWritten: +(summary.inproc.p50 / summary.handWritten.p50).toFixed(3),
    transformersOverInproc: +(summary.transformers.p50 / summary.inproc.p50).toFixed(2),
  },
  maxAbsDiff: { inprocVsHandWritten: Math.max(...checks.map((c) => c.vsHand)), inprocVsTransformers: +Math.max(...checks.map((c) => c.vsTransformers)).toFixed(3) },
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`preprocess: JPEG -> 1x3x${SIZE}x${SIZE} float32, ${photos.length} photos (${result.photos.join(', ')}), ${rounds} rounds, medians`);
  for (const n of names) console.log(`  ${n.padEnd(12)} ${summary[n].p50.toFixed(2).padStart(7)} ms/image  (p90 ${summary[n].p90.toFixed(2)})`);
  console.log(`  @inproc/image / hand-written: ${result.ratios.inprocOverHandWritten}x   transformers.js / @inproc/image: ${result.ratios.transformersOverInproc}x`);
  console.log(`  max |difference|: vs hand-written ${result.maxAbsDiff.inprocVsHandWritten}, vs transformers.js ${result.maxAbsDiff.inprocVsTransformers} (a different resampler)`);
}
