/**
 * Detection post-processing: IoU, (class-aware) non-maximum suppression on typed
 * arrays or detection objects, and decoders for the two common output layouts
 * (YOLO-style rows of box + scores, and SSD/BlazeFace-style anchor offsets).
 * @module
 */
import type { Tensor } from '@inproc/core';
import { imageError, describeValue } from './errors.js';
import { convertBox } from './geometry.js';
import type { Box, BoxFormat, Detection } from './types.js';

/** Intersection over union of two `xyxy` boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  return iouAt(a, 0, b, 0);
}

function iouAt(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ax1 = a[i]!, ay1 = a[i + 1]!, ax2 = a[i + 2]!, ay2 = a[i + 3]!;
  const bx1 = b[j]!, by1 = b[j + 1]!, bx2 = b[j + 2]!, by2 = b[j + 3]!;
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Options of non-maximum suppression. Defaults: IoU 0.5, score 0, no limit, class-aware. */
export interface NmsOptions {
  /** Boxes overlapping a kept one by more than this are dropped. */
  readonly iouThreshold?: number;
  /** Boxes scoring below this are dropped first. */
  readonly scoreThreshold?: number;
  /** Keep at most this many (highest scores first). */
  readonly maxDetections?: number;
  /** Only boxes of the same class suppress each other (default true). */
  readonly classAware?: boolean;
}

function resolveNms(options: NmsOptions): Required<NmsOptions> {
  const iouThreshold = options.iouThreshold ?? 0.5;
  const scoreThreshold = options.scoreThreshold ?? 0;
  const maxDetections = options.maxDetections ?? Number.POSITIVE_INFINITY;
  if (typeof iouThreshold !== 'number' || !(iouThreshold >= 0 && iouThreshold <= 1)) throw imageError('bad-option', `iouThreshold must be in [0, 1], got ${describeValue(iouThreshold)}`);
  if (typeof scoreThreshold !== 'number' || Number.isNaN(scoreThreshold)) throw imageError('bad-option', `scoreThreshold must be a number, got ${describeValue(scoreThreshold)}`);
  if (typeof maxDetections !== 'number' || !(maxDetections >= 0)) throw imageError('bad-option', `maxDetections must be a non-negative number, got ${describeValue(maxDetections)}`);
  return { iouThreshold, scoreThreshold, maxDetections, classAware: options.classAware ?? true };
}

/**
 * Non-maximum suppression on flat arrays: `boxes` holds `xyxy` quadruples, `scores` one
 * score each, `classes` (optional) one class each. Returns the kept indices, highest
 * score first; ties keep the lower index first.
 */
export function nonMaxSuppressionIndices(boxes: ArrayLike<number>, scores: ArrayLike<number>, classes?: ArrayLike<number>, options: NmsOptions = {}): Int32Array {
  const { iouThreshold, scoreThreshold, maxDetections, classAware } = resolveNms(options);
  const n = scores.length;
  if (boxes.length !== n * 4) throw imageError('bad-option', `nms: ${n} scores need ${n * 4} box coordinates, got ${boxes.length}`);
  if (classes !== undefined && classes.length !== n) throw imageError('bad-option', `nms: ${n} scores need ${n} classes, got ${classes.length}`);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! >= scoreThreshold) order.push(i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  const suppressed = new Uint8Array(n);
  for (let oi = 0; oi < order.length && kept.length < maxDetections; oi++) {
    const i = order[oi]!;
    if (suppressed[i] === 1) continue;
    kept.push(i);
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj]!;
      if (suppressed[j] === 1) continue;
      if (classAware && classes !== undefined && classes[i] !== classes[j]) continue;
      if (iouAt(boxes, i * 4, boxes, j * 4) > iouThreshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(kept);
}

/** Non-maximum suppression on detection objects (class-aware by `classId` unless `classAware: false`). */
export function nonMaxSuppression<T extends Detection>(detections: readonly T[], options: NmsOptions = {}): T[] {
  if (typeof detections !== 'object' || detections === null || typeof detections.length !== 'number') {
    throw imageError('bad-option', `nms takes an array of detections, got ${describeValue(detections)}`);
  }
  const boxes = new Float64Array(detections.length * 4);
  const scores = new Float64Array(detections.length);
  const classes = new Float64Array(detections.length);
  detections.forEach((d, i) => {
    boxes.set(d.box, i * 4);
    scores[i] = d.score;
    classes[i] = d.classId ?? -1;
  });
  return [...nonMaxSuppressionIndices(boxes, scores, classes, options)].map((i) => detections[i]!);
}

/** Options of {@link decodeDetections}. */
export interface DecodeDetectionsOptions {
  /**
   * `rows`: `[1, N, 4 + (1) + C]`, one row per candidate (YOLOv5, many SSD exports);
   * `columns`: `[1, 4 + C, N]`, one column per candidate (YOLOv8 and later).
   */
  readonly layout: 'rows' | 'columns';
  /** Box format of the first four values; default `cxcywh`. */
  readonly boxFormat?: BoxFormat;
  /** A fifth value, objectness, multiplies the class scores (YOLOv5). Default false. */
  readonly objectness?: boolean;
  /** Candidates whose best score is below this are dropped; default 0.25. */
  readonly scoreThreshold?: number;
  /** Class names, by class index. */
  readonly labels?: readonly string[];
}

/**
 * Reads candidates from a detector's raw output: for each, its box (as `xyxy`, in the
 * coordinates the model uses) and its best class. Run {@link nonMaxSuppression} next,
 * then map boxes back with `toOriginalBox`.
 */
export function decodeDetections(output: Tensor, options: DecodeDetectionsOptions): Detection[] {
  const shape = output.shape;
  if (shape.length !== 3 || shape[0] !== 1) throw imageError('bad-option', `decodeDetections expects a [1, N, K] or [1, K, N] tensor, got [${shape.join(', ')}]`);
  const data = output.data as ArrayLike<number>;
  if (typeof data[0] !== 'number' && data.length > 0) throw imageError('bad-option', `decodeDetections needs a numeric tensor, got ${output.dtype}`);
  const rows = options.layout === 'rows';
  if (!rows && options.layout !== 'columns') throw imageError('bad-option', `layout must be "rows" or "columns", got ${describeValue(options.layout)}`);
  const n = rows ? shape[1]! : shape[2]!;
  const k = rows ? shape[2]! : shape[1]!;
  const objectness = options.objectness ?? false;
  const first = objectness ? 5 : 4;
  if (k <= first) throw imageError('bad-option', `each candidate needs more than ${first} values, got ${k}`);
  const threshold = options.scoreThreshold ?? 0.25;
  const format = options.boxFormat ?? 'cxcywh';
  const at = rows ? (i: number, j: number): number => data[i * k + j]! : (i: number, j: number): number => data[j * n + i]!;
  const out: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const obj = objectness ? at(i, 4) : 1;
    if (obj < threshold) continue;
    let best = -1;
    let score = -Infinity;
    for (let j = first; j < k; j++) {
      const s = at(i, j);
      if (s > score) {
        score = s;
        best = j - first;
      }
    }
    score *= obj;
    if (score < threshold) continue;
    const box = convertBox([at(i, 0), at(i, 1), at(i, 2), at(i, 3)], format, 'xyxy');
    const label = options.labels?.[best];
    out.push(label === undefined ? { box, score, classId: best } : { box, score, classId: best, label });
  }
  return out;
}

/** Options of {@link decodeAnchorBoxes}. */
export interface AnchorDecodeOptions {
  /** Scales of the centre and size offsets (SSD uses [0.1, 0.1, 0.2, 0.2]); default [1, 1, 1, 1]. */
  readonly variances?: readonly [number, number, number, number];
  /** Sizes are log-encoded (`w = anchor.w * exp(dw)`, SSD) or linear (`w = anchor.w * dw`, BlazeFace with variances 1/input size). Default `log`. */
  readonly sizeEncoding?: 'log' | 'linear';
}

/**
 * Anchor offsets to `xyxy` boxes: `deltas` and `anchors` hold one `cx, cy, w, h`
 * quadruple per anchor (anchors in the output's coordinates). Returns a flat array of
 * `xyxy` quadruples, ready for {@link nonMaxSuppressionIndices}.
 */
export function decodeAnchorBoxes(deltas: ArrayLike<number>, anchors: ArrayLike<number>, options: AnchorDecodeOptions = {}): Float32Array {
  if (deltas.length !== anchors.length || deltas.length % 4 !== 0) {
    throw imageError('bad-option', `decodeAnchorBoxes: deltas (${deltas.length}) and anchors (${anchors.length}) must both hold 4 values per anchor`);
  }
  const [v0, v1, v2, v3] = options.variances ?? [1, 1, 1, 1];
  const log = (options.sizeEncoding ?? 'log') === 'log';
  const out = new Float32Array(deltas.length);
  for (let i = 0; i < deltas.length; i += 4) {
    const aw = anchors[i + 2]!, ah = anchors[i + 3]!;
    const cx = anchors[i]! + deltas[i]! * v0 * aw;
    const cy = anchors[i + 1]! + deltas[i + 1]! * v1 * ah;
    const w = log ? aw * Math.exp(deltas[i + 2]! * v2) : aw * deltas[i + 2]! * v2;
    const h = log ? ah * Math.exp(deltas[i + 3]! * v3) : ah * deltas[i + 3]! * v3;
    out[i] = cx - w / 2;
    out[i + 1] = cy - h / 2;
    out[i + 2] = cx + w / 2;
    out[i + 3] = cy + h / 2;
  }
  return out;
}
