/** Detection post-processing on hand-made boxes with hand-computed answers. */
import { describe, expect, it } from 'vitest';
import { Tensor } from 'inproc';
import { decodeAnchorBoxes, decodeDetections, iou, nonMaxSuppression, nonMaxSuppressionIndices, type Detection } from '@inproc/image';

describe('IoU', () => {
  it('matches hand-computed overlaps', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
    expect(iou([0, 0, 4, 4], [1, 1, 3, 3])).toBe(4 / 16);
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('non-maximum suppression', () => {
  // Two overlapping cats (IoU 0.68), a dog on top of the first cat, and a far cat.
  const detections: Detection[] = [
    { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
    { box: [1, 1, 11, 11], score: 0.8, classId: 0 },
    { box: [0, 0, 10, 10], score: 0.7, classId: 1 },
    { box: [50, 50, 60, 60], score: 0.6, classId: 0 },
    { box: [51, 50, 61, 60], score: 0.1, classId: 0 },
  ];

  it('class-aware: a box only suppresses boxes of its own class', () => {
    expect(nonMaxSuppression(detections, { iouThreshold: 0.5 }).map((d) => d.score)).toEqual([0.9, 0.7, 0.6]);
  });

  it('class-agnostic: the dog goes too', () => {
    expect(nonMaxSuppression(detections, { iouThreshold: 0.5, classAware: false }).map((d) => d.score)).toEqual([0.9, 0.6]);
  });

  it('thresholds: IoU above which to drop, minimum score, maximum count', () => {
    expect(nonMaxSuppression(detections, { iouThreshold: 0.7 }).map((d) => d.score)).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(nonMaxSuppression(detections, { iouThreshold: 0.9 }).map((d) => d.score)).toEqual([0.9, 0.8, 0.7, 0.6, 0.1]);
    expect(nonMaxSuppression(detections, { scoreThreshold: 0.65 }).map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(nonMaxSuppression(detections, { maxDetections: 2 }).map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(nonMaxSuppression([], {})).toEqual([]);
  });

  it('flat arrays give indices, best first, ties by index', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 20, 20, 30, 30, 0, 0, 10, 10]);
    expect([...nonMaxSuppressionIndices(boxes, [0.5, 0.5, 0.9])]).toEqual([2, 1]);
    expect([...nonMaxSuppressionIndices(boxes, [0.5, 0.5, 0.9], [0, 0, 1])]).toEqual([2, 0, 1]);
  });
});

describe('decoders', () => {
  it('rows (YOLOv5-style, with objectness) and columns (YOLOv8-style) give the same detections', () => {
    // Two candidates: (cx, cy, w, h, obj, class0, class1)
    const rows = [
      [50, 50, 20, 10, 0.9, 0.2, 0.8],
      [10, 10, 4, 4, 0.1, 0.9, 0.1],
    ];
    const v5 = decodeDetections(new Tensor('float32', rows.flat(), [1, 2, 7]), { layout: 'rows', objectness: true, scoreThreshold: 0.25, labels: ['cat', 'dog'] });
    expect(v5).toHaveLength(1);
    expect(v5[0]!.box).toEqual([40, 45, 60, 55]);
    expect(v5[0]!.score).toBeCloseTo(0.72, 6);
    expect(v5[0]).toMatchObject({ classId: 1, label: 'dog' });
    // Columns: [1, 4 + C, N] without objectness.
    const cols = [
      [50, 10],
      [50, 10],
      [20, 4],
      [10, 4],
      [0.2, 0.9],
      [0.8, 0.1],
    ];
    const v8 = decodeDetections(new Tensor('float32', cols.flat(), [1, 6, 2]), { layout: 'columns', scoreThreshold: 0.5 });
    expect(v8.map((d) => [d.box, d.classId])).toEqual([
      [[40, 45, 60, 55], 1],
      [[8, 8, 12, 12], 0],
    ]);
  });

  it('anchor offsets: SSD (log sizes, variances) and BlazeFace (linear sizes)', () => {
    const anchors = [0.5, 0.5, 0.2, 0.2];
    const ssd = decodeAnchorBoxes([1, 0, Math.log(2) / 0.2, 0], anchors, { variances: [0.1, 0.1, 0.2, 0.2] });
    [0.52 - 0.2, 0.4, 0.52 + 0.2, 0.6].forEach((v, i) => expect(ssd[i]).toBeCloseTo(v, 6));
    const blaze = decodeAnchorBoxes([12.8, 0, 25.6, 12.8], [0.5, 0.5, 1, 1], { variances: [1 / 128, 1 / 128, 1 / 128, 1 / 128], sizeEncoding: 'linear' });
    [0.6 - 0.1, 0.5 - 0.05, 0.6 + 0.1, 0.5 + 0.05].forEach((v, i) => expect(blaze[i]).toBeCloseTo(v, 6));
  });
});
