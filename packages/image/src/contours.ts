/**
 * Segmentation maps to shapes: threshold masks, connected components, outer contours
 * (Moore-neighbour tracing), convex hulls, minimum-area rotated rectangles, polygon
 * expansion ("unclip"), and the DB text-detector post-processing built from them
 * (probability map -> rotated text boxes), as PaddleOCR does it with OpenCV.
 * Everything works on flat typed arrays; no per-pixel allocation.
 * @module
 */
import { imageError, describeValue } from './errors.js';
import type { Point, Quad } from './types.js';

function checkMap(map: ArrayLike<number>, width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw imageError('bad-option', `${what}: size must be positive whole numbers, got ${width}x${height}`);
  if (map.length !== width * height) throw imageError('bad-option', `${what}: a ${width}x${height} map has ${width * height} values, got ${map.length}`);
}

/** 1 where `map > threshold`, else 0. */
export function thresholdMask(map: ArrayLike<number>, width: number, height: number, threshold: number): Uint8Array {
  checkMap(map, width, height, 'thresholdMask');
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = map[i]! > threshold ? 1 : 0;
  return mask;
}

/** One connected region of a mask. */
export interface Component {
  /** Its label in `labels` (1-based). */
  readonly label: number;
  /** Pixels in it. */
  readonly area: number;
  /** Bounding box `[x1, y1, x2, y2]`, inclusive pixel indices. */
  readonly bbox: readonly [number, number, number, number];
}

/** Result of {@link connectedComponents}. */
export interface Components {
  /** Per pixel: 0 for background, else the component's label. */
  readonly labels: Int32Array;
  readonly components: readonly Component[];
}

const DX = [1, 1, 0, -1, -1, -1, 0, 1] as const;
const DY = [0, 1, 1, 1, 0, -1, -1, -1] as const;

/** Labels the connected regions of non-zero pixels (8-connected by default, as OpenCV's contours). */
export function connectedComponents(mask: ArrayLike<number>, width: number, height: number, options: { readonly connectivity?: 4 | 8 } = {}): Components {
  checkMap(mask, width, height, 'connectedComponents');
  const connectivity = options.connectivity ?? 8;
  if (connectivity !== 4 && connectivity !== 8) throw imageError('bad-option', `connectivity must be 4 or 8, got ${describeValue(connectivity)}`);
  const step = connectivity === 8 ? 1 : 2;
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const components: Component[] = [];
  for (let start = 0; start < labels.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const label = components.length + 1;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    let area = 0, x1 = width, y1 = height, x2 = -1, y2 = -1;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width, y = (p - x) / width;
      area++;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      for (let d = 0; d < 8; d += step) {
        const nx = x + DX[d]!, ny = y + DY[d]!;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (mask[q] !== 0 && labels[q] === 0) {
          labels[q] = label;
          stack[top++] = q;
        }
      }
    }
    components.push({ label, area, bbox: [x1, y1, x2, y2] });
  }
  return { labels, components };
}

/** An outer contour. */
export interface Contour {
  /** Boundary pixels (their indices as coordinates), clockwise on screen, starting at the top-left one. */
  readonly points: readonly Point[];
  /** Pixels of the region. */
  readonly area: number;
  readonly bbox: readonly [number, number, number, number];
}

/** Options of {@link findContours}. */
export interface ContourOptions {
  /** Keep only the corners of straight runs (OpenCV's CHAIN_APPROX_SIMPLE). Default true. */
  readonly simplify?: boolean;
  /** Stop after this many regions (in raster order of their top-left pixel). */
  readonly maxContours?: number;
}

/** The outer contour of every 8-connected region of non-zero pixels. Holes are not traced. */
export function findContours(mask: ArrayLike<number>, width: number, height: number, options: ContourOptions = {}): Contour[] {
  const { labels, components } = connectedComponents(mask, width, height);
  const simplify = options.simplify ?? true;
  const max = options.maxContours ?? Number.POSITIVE_INFINITY;
  const contours: Contour[] = [];
  for (const component of components) {
    if (contours.length >= max) break;
    contours.push({ points: trace(labels, width, height, component, simplify), area: component.area, bbox: component.bbox });
  }
  return contours;
}

// Moore-neighbour tracing (radial sweep): from each boundary pixel, look clockwise
// around it starting just after the pixel we came from; stop on returning to the start
// about to repeat the first move.
function trace(labels: Int32Array, width: number, height: number, component: Component, simplify: boolean): Point[] {
  const label = component.label;
  const [bx1, by1] = component.bbox;
  const sy = by1;
  let sx = bx1;
  // The top-left pixel: first of the top row of the bounding box that belongs to the region.
  for (let x = bx1; x < width; x++) {
    if (labels[by1 * width + x] === label) {
      sx = x;
      break;
    }
  }
  const at = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && labels[y * width + x] === label;
  const points: Point[] = [[sx, sy]];
  const moves: number[] = [];
  let x = sx, y = sy;
  let back = 4; // We "came from" the west: nothing of the region lies left of or above the start.
  let firstMove = -1;
  for (let guard = 0; guard < 4 * width * height + 8; guard++) {
    let move = -1;
    for (let i = 1; i <= 8; i++) {
      const d = (back + i) % 8;
      if (at(x + DX[d]!, y + DY[d]!)) {
        move = d;
        break;
      }
    }
    if (move === -1) return points; // A single pixel.
    if (x === sx && y === sy) {
      if (firstMove === -1) firstMove = move;
      else if (move === firstMove) break;
    }
    x += DX[move]!;
    y += DY[move]!;
    back = (move + 4) % 8;
    points.push([x, y]);
    moves.push(move);
  }
  // The last point is the start again, reached by the closing move.
  points.pop();
  if (!simplify || points.length < 3) return points;
  // moves[i] leads from points[i] to the next point (the last one back to the first); a
  // point is a corner when the move out of it differs from the move into it.
  const corners: Point[] = [];
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const into = i === 0 ? moves[n - 1] : moves[i - 1];
    const out = moves[i];
    if (into !== out) corners.push(points[i]!);
  }
  return corners;
}

/** The convex hull, clockwise on screen (y down), without collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  // Andrew's chain is counter-clockwise in y-up coordinates: clockwise on screen (y down).
  return lower.concat(upper);
}

/** A rotated rectangle. */
export interface RotatedRect {
  readonly center: Point;
  /** Side along `angle`. */
  readonly width: number;
  /** Side across `angle`. */
  readonly height: number;
  /** Direction of the `width` side, in degrees from the x axis, in [0, 90). */
  readonly angle: number;
  /** Corners ordered top-left, top-right, bottom-right, bottom-left (see {@link orderQuad}). */
  readonly corners: Quad;
}

/** The rotated rectangle of least area that holds every point (rotating calipers over the hull). */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  if (points.length === 0) throw imageError('bad-option', 'minAreaRect needs at least one point');
  const hull = convexHull(points);
  let best = { area: Infinity, ux: 1, uy: 0, minU: 0, maxU: 0, minV: 0, maxV: 0 };
  const edges = hull.length >= 2 ? hull.length : 1;
  for (let i = 0; i < edges; i++) {
    const p = hull[i]!;
    const q = hull[(i + 1) % hull.length]!;
    let ux = q[0] - p[0], uy = q[1] - p[1];
    const len = Math.hypot(ux, uy);
    if (len === 0) [ux, uy] = [1, 0];
    else [ux, uy] = [ux / len, uy / len];
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const [x, y] of hull) {
      const u = x * ux + y * uy;
      const v = -x * uy + y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < best.area - 1e-9) best = { area, ux, uy, minU, maxU, minV, maxV };
  }
  const { ux, uy, minU, maxU, minV, maxV } = best;
  const corner = (u: number, v: number): Point => [u * ux - v * uy, u * uy + v * ux];
  const corners = orderQuad([corner(minU, minV), corner(maxU, minV), corner(maxU, maxV), corner(minU, maxV)]);
  let angle = (Math.atan2(uy, ux) * 180) / Math.PI;
  let width = maxU - minU;
  let height = maxV - minV;
  angle = ((angle % 180) + 180) % 180;
  if (angle >= 90) {
    angle -= 90;
    [width, height] = [height, width];
  }
  const [cu, cv] = [(minU + maxU) / 2, (minV + maxV) / 2];
  return { center: corner(cu, cv), width, height, angle: Math.abs(angle) < 1e-9 ? 0 : angle, corners };
}

/**
 * Orders four corners as PaddleOCR's `get_mini_boxes` does: the two leftmost are the
 * left side (top-left is the upper one), the two rightmost the right side.
 */
export function orderQuad(points: readonly Point[]): Quad {
  if (points.length !== 4) throw imageError('bad-option', `a quad has 4 points, got ${points.length}`);
  const s = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const [l1, l2, r1, r2] = s as [Point, Point, Point, Point];
  const [tl, bl] = l1[1] <= l2[1] ? [l1, l2] : [l2, l1];
  const [tr, br] = r1[1] <= r2[1] ? [r1, r2] : [r2, r1];
  return [tl, tr, br, bl];
}

/** Area of a simple polygon (shoelace formula). */
export function polygonArea(points: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += x1 * y2 - x2 * y1;
  }
  return Math.abs(sum) / 2;
}

/** Perimeter of a closed polygon. */
export function polygonPerimeter(points: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += Math.hypot(x2 - x1, y2 - y1);
  }
  return sum;
}

/**
 * Moves every edge of a convex polygon outwards by `distance` (mitred corners). For
 * the rectangles of text detection this equals Clipper's round-joined offset followed
 * by a minimum-area rectangle, as PaddleOCR's `unclip` does.
 */
export function expandPolygon(points: readonly Point[], distance: number): Point[] {
  const n = points.length;
  if (n < 3) throw imageError('bad-option', `expandPolygon needs at least 3 points, got ${n}`);
  // Signed area tells the winding; outward normals depend on it.
  let signed = 0;
  for (let i = 0; i < n; i++) signed += points[i]![0] * points[(i + 1) % n]![1] - points[(i + 1) % n]![0] * points[i]![1];
  const sign = signed >= 0 ? 1 : -1;
  const lines: { nx: number; ny: number; c: number }[] = [];
  for (let i = 0; i < n; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % n]!;
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    // Outward normal for a positively wound polygon is (dy, -dx) / len.
    const nx = (sign * (y2 - y1)) / len;
    const ny = (sign * -(x2 - x1)) / len;
    lines.push({ nx, ny, c: nx * x1 + ny * y1 + distance });
  }
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const a = lines[(i + n - 1) % n]!;
    const b = lines[i]!;
    const det = a.nx * b.ny - a.ny * b.nx;
    if (Math.abs(det) < 1e-12) {
      const [x, y] = points[i]!;
      out.push([x + b.nx * distance, y + b.ny * distance]);
    } else {
      out.push([(a.c * b.ny - a.ny * b.c) / det, (a.nx * b.c - a.c * b.nx) / det]);
    }
  }
  return out;
}

/** DB's unclip: expands a box by `area * ratio / perimeter`. */
export function unclip(points: readonly Point[], ratio: number): Point[] {
  const perimeter = polygonPerimeter(points);
  if (perimeter === 0) return [...points];
  return expandPolygon(points, (polygonArea(points) * ratio) / perimeter);
}

/**
 * Mean of `map` over the pixels inside a polygon (PaddleOCR's `box_score_fast`: pixel
 * indices inside or on the polygon, within its clipped bounding box).
 */
export function meanInPolygon(map: ArrayLike<number>, width: number, height: number, polygon: readonly Point[]): number {
  checkMap(map, width, height, 'meanInPolygon');
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  const x1 = clamp(Math.floor(Math.min(...xs)), width - 1), x2 = clamp(Math.ceil(Math.max(...xs)), width - 1);
  const y1 = clamp(Math.floor(Math.min(...ys)), height - 1), y2 = clamp(Math.ceil(Math.max(...ys)), height - 1);
  // OpenCV's fillPoly rasterises integer vertices (the box cast to int32).
  const poly = polygon.map(([x, y]) => [Math.trunc(x), Math.trunc(y)] as const);
  let sum = 0;
  let count = 0;
  for (let y = y1; y <= y2; y++) {
    for (let x = x1; x <= x2; x++) {
      if (!insideOrOn(poly, x, y)) continue;
      sum += map[y * width + x]!;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

function insideOrOn(poly: readonly (readonly [number, number])[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    // On the edge counts as inside, as fillPoly paints edges.
    const cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
    if (cross === 0 && x >= Math.min(xi, xj) && x <= Math.max(xi, xj) && y >= Math.min(yi, yj) && y <= Math.max(yi, yj)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Options of {@link textBoxesFromProbabilityMap}; defaults are PaddleOCR's. */
export interface TextBoxOptions {
  /** Pixels above this are text (default 0.3). */
  readonly threshold?: number;
  /** Boxes whose mean probability is below this are dropped (default 0.6). */
  readonly boxThreshold?: number;
  /** How far each box grows back out (DB shrinks text regions in training); default 1.5. */
  readonly unclipRatio?: number;
  /** Boxes with a shorter side below this (in map pixels) are dropped (default 3). */
  readonly minSize?: number;
  /** At most this many regions are considered (default 1000). */
  readonly maxCandidates?: number;
}

/** A rotated text box. */
export interface TextBox {
  readonly quad: Quad;
  readonly score: number;
}

/**
 * DB (differentiable binarisation) post-processing: threshold the probability map,
 * trace each region's outer contour, fit a minimum-area rectangle, score it by the
 * mean probability inside, expand it by the unclip ratio and fit again. Coordinates are
 * map pixels; map them to the image with the tensor's transform.
 */
export function textBoxesFromProbabilityMap(map: ArrayLike<number>, width: number, height: number, options: TextBoxOptions = {}): TextBox[] {
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.6;
  const unclipRatio = options.unclipRatio ?? 1.5;
  const minSize = options.minSize ?? 3;
  for (const [name, value] of [['threshold', threshold], ['boxThreshold', boxThreshold], ['unclipRatio', unclipRatio], ['minSize', minSize]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw imageError('bad-option', `${name} must be a non-negative number, got ${describeValue(value)}`);
  }
  const mask = thresholdMask(map, width, height, threshold);
  const contours = findContours(mask, width, height, { simplify: true, maxContours: options.maxCandidates ?? 1000 });
  const boxes: TextBox[] = [];
  for (const contour of contours) {
    const rect = minAreaRect(contour.points);
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const score = meanInPolygon(map, width, height, rect.corners);
    if (score < boxThreshold) continue;
    const grown = minAreaRect(unclip(rect.corners, unclipRatio));
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    boxes.push({ quad: grown.corners, score });
  }
  return boxes;
}
