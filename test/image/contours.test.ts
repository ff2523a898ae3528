/** Masks, components, contours, rectangles and DB text boxes on hand-made maps. */
import { describe, expect, it } from 'vitest';
import {
  connectedComponents,
  convexHull,
  expandPolygon,
  findContours,
  meanInPolygon,
  minAreaRect,
  orderQuad,
  polygonArea,
  textBoxesFromProbabilityMap,
  thresholdMask,
  unclip,
  type Point,
} from '@inproc/image';
import { textMap } from './helpers.js';

/** A mask from rows of '#' and '.'. */
function mask(rows: readonly string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  return { mask: Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0)), width, height: rows.length };
}

describe('components and contours', () => {
  const m = mask([
    '.........',
    '.###.....',
    '.###...#.',
    '.###..#..',
    '.....#...',
    '#........',
  ]);

  it('8-connected components join diagonal neighbours, 4-connected do not', () => {
    const eight = connectedComponents(m.mask, m.width, m.height);
    expect(eight.components.map((c) => [c.area, c.bbox])).toEqual([
      [9, [1, 1, 3, 3]],
      [3, [5, 2, 7, 4]],
      [1, [0, 5, 0, 5]],
    ]);
    expect(eight.labels[2 * 9 + 2]).toBe(1);
    expect(connectedComponents(m.mask, m.width, m.height, { connectivity: 4 }).components).toHaveLength(5);
  });

  it('outer contours: a square gives its 4 corners clockwise, a diagonal line its ends, a pixel itself', () => {
    const contours = findContours(m.mask, m.width, m.height);
    expect(contours.map((c) => c.points)).toEqual([
      [
        [1, 1],
        [3, 1],
        [3, 3],
        [1, 3],
      ],
      [
        [7, 2],
        [5, 4],
      ],
      [[0, 5]],
    ]);
    // Without simplification: every boundary pixel of the square once, in order.
    expect(findContours(m.mask, m.width, m.height, { simplify: false })[0]!.points).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [3, 2],
      [3, 3],
      [2, 3],
      [1, 3],
      [1, 2],
    ]);
  });

  it('an L shape keeps its concave corner', () => {
    const l = mask(['#...', '#...', '####']);
    expect(findContours(l.mask, l.width, l.height)[0]!.points).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [3, 2],
      [0, 2],
    ]);
  });
});

describe('rectangles and polygons', () => {
  it('convex hull drops interior and collinear points', () => {
    const hull = convexHull([
      [0, 0],
      [2, 0],
      [4, 0],
      [4, 4],
      [0, 4],
      [2, 2],
      [1, 3],
    ]);
    expect(hull).toHaveLength(4);
    expect(polygonArea(hull)).toBe(16);
  });

  it('minimum-area rectangle of a 45-degree rotated rectangle', () => {
    // Corners of a 4*sqrt(2) x 2*sqrt(2) rectangle turned 45 degrees, plus points inside.
    const pts: Point[] = [
      [0, 2],
      [4, 6],
      [6, 4],
      [2, 0],
      [3, 3],
      [2, 2],
    ];
    const r = minAreaRect(pts);
    expect(r.width * r.height).toBeCloseTo(16, 9);
    expect(Math.max(r.width, r.height)).toBeCloseTo(4 * Math.SQRT2, 9);
    expect(r.angle).toBeCloseTo(45, 9);
    expect(r.center[0]).toBeCloseTo(3, 9);
    expect(r.center[1]).toBeCloseTo(3, 9);
    expect(r.corners.map(([x, y]) => [Math.round(x), Math.round(y)])).toEqual([
      [2, 0],
      [6, 4],
      [4, 6],
      [0, 2],
    ]);
  });

  it('orderQuad orders corners top-left, top-right, bottom-right, bottom-left (by x, then y within each side)', () => {
    expect(
      orderQuad([
        [10, 5],
        [0, 5],
        [0, 0],
        [10, 0],
      ]),
    ).toEqual([
      [0, 0],
      [10, 0],
      [10, 5],
      [0, 5],
    ]);
  });

  it('unclip grows a rectangle by area * ratio / perimeter on every side', () => {
    const rect: Point[] = [
      [0, 0],
      [10, 0],
      [10, 4],
      [0, 4],
    ];
    const d = (40 * 1.5) / 28;
    const grown = unclip(rect, 1.5);
    const expected = [
      [-d, -d],
      [10 + d, -d],
      [10 + d, 4 + d],
      [-d, 4 + d],
    ];
    grown.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i]![0]!, 9);
      expect(p[1]).toBeCloseTo(expected[i]![1]!, 9);
    });
    // The winding does not matter.
    expect(polygonArea(expandPolygon([...rect].reverse(), 1))).toBeCloseTo(12 * 6, 9);
  });
});

describe('DB text boxes', () => {
  it('threshold, contours, score, unclip: two boxes, the weak block dropped', () => {
    const { map, width, height } = textMap();
    expect(thresholdMask(map, width, height, 0.3).reduce((a, b) => a + b, 0)).toBe(40 + 24 + 20);
    const boxes = textBoxesFromProbabilityMap(map, width, height);
    expect(boxes).toHaveLength(2);
    // Block 1: pixels x 2..11, y 2..5 -> rectangle from pixel centres 9 x 3, grown by 27 * 1.5 / 24.
    const d1 = (9 * 3 * 1.5) / 24;
    const [tl, tr, br, bl] = boxes[0]!.quad;
    [
      [tl, [2 - d1, 2 - d1]],
      [tr, [11 + d1, 2 - d1]],
      [br, [11 + d1, 5 + d1]],
      [bl, [2 - d1, 5 + d1]],
    ].forEach(([got, want]) => {
      expect(got![0]).toBeCloseTo(want![0], 6);
      expect(got![1]).toBeCloseTo(want![1], 6);
    });
    expect(boxes[0]!.score).toBeCloseTo(0.9, 6);
    expect(boxes[1]!.quad[0][0]).toBeLessThan(3);
    // With a low box threshold the weak block comes back.
    expect(textBoxesFromProbabilityMap(map, width, height, { boxThreshold: 0.3 })).toHaveLength(3);
  });

  it('meanInPolygon averages the pixels inside and on the polygon', () => {
    const { map, width, height } = textMap();
    const inside = meanInPolygon(map, width, height, [
      [1, 1],
      [12, 1],
      [12, 5],
      [1, 5],
    ]);
    expect(inside).toBeCloseTo((40 * 0.9 + 20 * 0.05) / 60, 6);
  });
});
