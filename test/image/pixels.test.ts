/**
 * Pixels to tensors against values computed independently here: the normalisation
 * (rescale, mean, std, channel order, luma, layout, dtypes) element by element on a
 * tiny image, and resizing checked pixel by pixel on a linear ramp (see helpers.ts).
 */
import { describe, expect, it } from 'vitest';
import { imageToTensor, imageTransforms, decodeImage, resizeImage } from '@inproc/image';
import sharp from 'sharp';
import { IMAGENET_MEAN, IMAGENET_STD, nchw, rampAt, rampImage } from './helpers.js';

const tiny = { data: new Uint8Array([255, 0, 0, 0, 128, 255, 10, 20, 30, 200, 100, 50, 0, 0, 0, 255, 255, 255]), width: 3, height: 2, channels: 3 as const };
const px = (x: number, y: number): [number, number, number] => {
  const i = (y * 3 + x) * 3;
  return [tiny.data[i]!, tiny.data[i + 1]!, tiny.data[i + 2]!];
};

describe('normalisation, one element at a time', () => {
  it('rescale + ImageNet mean/std, RGB, NCHW float32', async () => {
    const { tensor, transforms } = await imageToTensor(tiny, { mean: IMAGENET_MEAN, std: IMAGENET_STD });
    expect(tensor.shape).toEqual([1, 3, 2, 3]);
    expect(tensor.dtype).toBe('float32');
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < 3; c++) {
          const expected = (px(x, y)[c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
          expect(tensor.data[nchw(c, y, x, 2, 3)]).toBeCloseTo(expected, 5);
        }
      }
    }
    expect(transforms).toEqual([{ original: { width: 3, height: 2 }, size: { width: 3, height: 2 }, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 }]);
    expect(imageTransforms(tensor)).toBe(transforms);
  });

  it('BGR, NHWC, mean/std in output order, no batch dimension', async () => {
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.25, 2];
    const { tensor } = await imageToTensor(tiny, { channelOrder: 'bgr', layout: 'nhwc', mean, std, batchDim: false });
    expect(tensor.shape).toEqual([2, 3, 3]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        const [r, g, b] = px(x, y);
        [b, g, r].forEach((v, c) => expect(tensor.data[(y * 3 + x) * 3 + c]).toBeCloseTo((v / 255 - mean[c]!) / std[c]!, 5));
      }
    }
  });

  it('grayscale uses BT.601 luma; uint8 rounds, int32 keeps raw values; rescale applies', async () => {
    const gray = await imageToTensor(tiny, { grayscale: true, dtype: 'uint8' });
    expect(gray.tensor.shape).toEqual([1, 1, 2, 3]);
    expect([...gray.tensor.data]).toEqual([0, 1, 2, 3, 4, 5].map((i) => Math.round(0.299 * tiny.data[i * 3]! + 0.587 * tiny.data[i * 3 + 1]! + 0.114 * tiny.data[i * 3 + 2]!)));
    const ints = await imageToTensor(tiny, { dtype: 'int32', layout: 'nhwc' });
    expect(ints.tensor.data).toBeInstanceOf(Int32Array);
    expect([...ints.tensor.data]).toEqual([...tiny.data]);
    const scaled = await imageToTensor(tiny, { rescale: 2, mean: 1, layout: 'nhwc' });
    expect([...scaled.tensor.data]).toEqual([...tiny.data].map((v) => 2 * v - 1));
  });

  it('RGBA and grey pixel sources; decodeImage channel conversions', async () => {
    const rgba = { data: new Uint8ClampedArray([1, 2, 3, 99, 4, 5, 6, 99]), width: 2, height: 1 }; // ImageData-like
    const t = await imageToTensor(rgba, { dtype: 'uint8', layout: 'nhwc' });
    expect([...t.tensor.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const grey = { data: new Uint8Array([7, 9]), width: 2, height: 1, channels: 1 as const };
    const g = await imageToTensor(grey, { dtype: 'uint8' });
    expect([...g.tensor.data]).toEqual([7, 9, 7, 9, 7, 9]);
    const png = await sharp(Buffer.from(tiny.data), { raw: { width: 3, height: 2, channels: 3 } }).png().toBuffer();
    expect([...(await decodeImage(png)).data]).toEqual([...tiny.data]);
    const four = await decodeImage(png, { channels: 4 });
    expect(four.channels).toBe(4);
    expect([...four.data.subarray(0, 8)]).toEqual([255, 0, 0, 255, 0, 128, 255, 255]);
    const one = await decodeImage(png, { channels: 1 });
    expect(one.data[0]).toBe(Math.round(0.299 * 255));
  });
});

describe('resize + normalise, pixel by pixel on a ramp', () => {
  const ramp = rampImage(); // 32 x 8

  for (const source of ['pixels', 'png'] as const) {
    it(`4x downscale with the linear kernel matches the ramp at mapped pixel centres (${source})`, async () => {
      const input = source === 'pixels' ? ramp : await sharp(Buffer.from(ramp.data), { raw: { width: 32, height: 8, channels: 3 } }).png().toBuffer();
      const { tensor, transforms } = await imageToTensor(input, { width: 8, height: 2, fit: 'fill', mean: IMAGENET_MEAN, std: IMAGENET_STD });
      expect(tensor.shape).toEqual([1, 3, 2, 8]);
      expect(transforms[0]).toMatchObject({ scaleX: 0.25, scaleY: 0.25, offsetX: 0, offsetY: 0 });
      // Columns 1..6 lie away from the borders (the filter reaches 4 source pixels each way).
      // libvips resamples 8-bit images in fixed point: one grey level of slack.
      const level = 1 / 255;
      for (let y = 0; y < 2; y++) {
        for (let x = 1; x < 7; x++) {
          for (let c = 0; c < 3; c++) {
            const sx = (x + 0.5) * 4 - 0.5;
            // R also ramps along y: its expected value uses the mapped row centre too.
            const expected = c === 0 ? rampAt(0, sx, (y + 0.5) * 4 - 0.5) : rampAt(c, sx, 0);
            const got = tensor.data[nchw(c, y, x, 2, 8)]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!;
            expect(Math.abs(got - expected / 255)).toBeLessThanOrEqual(level + 1e-6);
          }
        }
      }
    });
  }

  it('resizeImage returns the pixels and the transform', async () => {
    const out = await resizeImage(ramp, { width: 8, height: 2 });
    expect([out.width, out.height, out.channels, out.data.length]).toEqual([8, 2, 3, 48]);
    expect(Math.abs(out.data[(0 * 8 + 3) * 3 + 1]! - rampAt(1, 3.5 * 4 - 0.5, 0))).toBeLessThanOrEqual(1);
    expect(out.transform.scaleX).toBe(0.25);
  });

  it('a batch of images fills one tensor, each in its slot', async () => {
    const a = { data: new Uint8Array(12).fill(10), width: 2, height: 2, channels: 3 as const };
    const b = { data: new Uint8Array(12).fill(20), width: 2, height: 2, channels: 3 as const };
    const { tensor, transforms } = await imageToTensor([a, b, a], { dtype: 'uint8' });
    expect(tensor.shape).toEqual([3, 3, 2, 2]);
    expect([...tensor.data]).toEqual([...new Array<number>(12).fill(10), ...new Array<number>(12).fill(20), ...new Array<number>(12).fill(10)]);
    expect(transforms).toHaveLength(3);
  });
});
