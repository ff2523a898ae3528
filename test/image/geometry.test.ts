/**
 * Geometry: where each fit mode puts the image (sizes, offsets, padding written into
 * the tensor), the round trip of points and boxes through the recorded transforms, and
 * EXIF orientation.
 */
import { describe, expect, it } from 'vitest';
import { composeTransforms, convertBox, decodeImage, imageToTensor, toOriginalBox, toOriginalPoint, toOriginalQuad, toTensorPoint, type ImageTransform } from '@inproc/image';
import sharp from 'sharp';

const solid = (width: number, height: number, value = 200): { data: Uint8Array; width: number; height: number; channels: 3 } => ({ data: new Uint8Array(width * height * 3).fill(value), width, height, channels: 3 });

describe('fit modes', () => {
  it('contain (letterbox): scaled to fit, centred, padding written with the pad value, and the round trip', async () => {
    const { tensor, transforms } = await imageToTensor(solid(64, 48), { width: 32, height: 32, fit: 'contain', padding: 114, dtype: 'uint8', layout: 'nhwc' });
    const t = transforms[0]!;
    expect(t).toEqual({ original: { width: 64, height: 48 }, size: { width: 32, height: 32 }, scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 4 });
    // Rows 0-3 and 28-31 are padding (the 64x48 image becomes 32x24, centred).
    for (let y = 0; y < 32; y++) {
      const expected = y < 4 || y >= 28 ? 114 : 200;
      for (let x = 0; x < 32; x += 7) expect(tensor.data[(y * 32 + x) * 3]).toBe(expected);
    }
    // Box round trip: original -> tensor -> original.
    const box = [10, 6, 50, 40] as const;
    const inTensor = [...toTensorPoint(t, [box[0], box[1]]), ...toTensorPoint(t, [box[2], box[3]])] as const;
    expect(inTensor).toEqual([5, 7, 25, 24]);
    expect(toOriginalBox(t, [inTensor[0], inTensor[1], inTensor[2], inTensor[3]])).toEqual(box);
    // Normalised coordinates and other formats.
    expect(toOriginalBox(t, [5 / 32, 7 / 32, 25 / 32, 24 / 32], { normalized: true })).toEqual(box);
    expect(toOriginalBox(t, [15, 15.5, 20, 17], { format: 'cxcywh' })).toEqual([30, 23, 40, 34]);
    // Clipping to the image; off by default only when asked.
    expect(toOriginalBox(t, [0, 0, 40, 40])).toEqual([0, 0, 64, 48]);
    expect(toOriginalBox(t, [0, 0, 40, 40], { clip: false })).toEqual([0, -8, 80, 72]);
  });

  it('contain with top-left position pads right and bottom', async () => {
    const { transforms, tensor } = await imageToTensor(solid(10, 20), { width: 10, height: 10, fit: 'contain', position: 'top-left', padding: [1, 2, 3], dtype: 'uint8', layout: 'nhwc' });
    expect(transforms[0]).toMatchObject({ scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 0 });
    expect([...tensor.data.subarray((0 * 10 + 9) * 3, (0 * 10 + 9) * 3 + 3)]).toEqual([1, 2, 3]);
    expect(tensor.data[(0 * 10 + 4) * 3]).toBe(200);
  });

  it('cover crops the overflow (negative offset)', async () => {
    const { transforms } = await imageToTensor(solid(100, 50), { width: 20, height: 20, fit: 'cover' });
    expect(transforms[0]).toEqual({ original: { width: 100, height: 50 }, size: { width: 20, height: 20 }, scaleX: 0.4, scaleY: 0.4, offsetX: -10, offsetY: 0 });
    expect(toOriginalPoint(transforms[0]!, [0, 0])).toEqual([25, 0]);
  });

  it('shortest-edge (Hugging Face rounding), centerCrop, longest-edge with multipleOf and no upscaling', async () => {
    const short = await imageToTensor(solid(30, 20), { size: 8, fit: 'shortest-edge' });
    expect(short.tensor.shape).toEqual([1, 3, 8, 12]);
    const cropped = await imageToTensor(solid(30, 20), { size: 8, fit: 'shortest-edge', centerCrop: { width: 8, height: 8 } });
    expect(cropped.tensor.shape).toEqual([1, 3, 8, 8]);
    expect(cropped.transforms[0]).toMatchObject({ offsetX: -2, offsetY: 0 });
    const det = await imageToTensor(solid(1000, 300), { size: 960, fit: 'longest-edge', multipleOf: 32, upscale: false });
    expect(det.tensor.shape).toEqual([1, 3, 288, 960]);
    expect(det.transforms[0]).toMatchObject({ scaleX: 0.96, scaleY: 0.96 });
    const small = await imageToTensor(solid(100, 50), { size: 960, fit: 'longest-edge', multipleOf: 32, upscale: false });
    expect(small.tensor.shape).toEqual([1, 3, 64, 96]);
    expect(small.transforms[0]).toMatchObject({ scaleX: 0.96, scaleY: 1.28 });
  });

  it('crop before resize shifts the transform', async () => {
    const { transforms } = await imageToTensor(solid(40, 40), { crop: { x: 10, y: 20, width: 20, height: 10 }, width: 10, height: 5 });
    const t = transforms[0]!;
    expect(toOriginalPoint(t, [0, 0])).toEqual([10, 20]);
    expect(toOriginalPoint(t, [10, 5])).toEqual([30, 30]);
  });
});

describe('transform helpers', () => {
  const t: ImageTransform = { original: { width: 100, height: 50 }, size: { width: 64, height: 64 }, scaleX: 0.64, scaleY: 0.64, offsetX: 0, offsetY: 16 };

  it('compose: a resize after a crop+resize maps through both', () => {
    const second: ImageTransform = { original: { width: 64, height: 64 }, size: { width: 32, height: 32 }, scaleX: 0.5, scaleY: 0.5, offsetX: -2, offsetY: 0 };
    const both = composeTransforms(t, second);
    const p = [37, 21] as const;
    expect(toTensorPoint(both, p)).toEqual(toTensorPoint(second, toTensorPoint(t, p)));
  });

  it('quads are mapped and clipped', () => {
    expect(toOriginalQuad(t, [[0, 16], [64, 16], [64, 80], [0, 80]])).toEqual([[0, 0], [100, 0], [100, 50], [0, 50]]);
  });

  it('box formats convert both ways', () => {
    expect(convertBox([10, 20, 30, 60], 'xyxy', 'xywh')).toEqual([10, 20, 20, 40]);
    expect(convertBox([10, 20, 30, 60], 'xyxy', 'cxcywh')).toEqual([20, 40, 20, 40]);
    expect(convertBox([20, 40, 20, 40], 'cxcywh', 'xywh')).toEqual([10, 20, 20, 40]);
  });
});

describe('EXIF orientation', () => {
  // 40x20 stored pixels: left half red, right half blue, tagged "rotate 90 degrees clockwise to display" (6).
  async function tagged(): Promise<Buffer> {
    const data = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) data.set(x < 20 ? [230, 20, 20] : [20, 20, 230], (y * 40 + x) * 3);
    return sharp(data, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  }

  it('is applied by default (the left half ends on top) and kept with orientation: none', async () => {
    const jpeg = await tagged();
    const shown = await decodeImage(jpeg);
    expect([shown.width, shown.height]).toEqual([20, 40]);
    expect(shown.data[(5 * 20 + 10) * 3]).toBeGreaterThan(200); // top: red
    expect(shown.data[(35 * 20 + 10) * 3 + 2]).toBeGreaterThan(200); // bottom: blue
    const stored = await decodeImage(jpeg, { orientation: 'none' });
    expect([stored.width, stored.height]).toEqual([40, 20]);
    const { transforms, tensor } = await imageToTensor(jpeg, { width: 10, height: 20 });
    expect(transforms[0]!.original).toEqual({ width: 20, height: 40 });
    expect(tensor.data[nchwRed(2, 5)]).toBeGreaterThan(0.8);
  });
});

const nchwRed = (y: number, x: number): number => y * 10 + x;
