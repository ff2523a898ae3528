/**
 * @inproc/image in headless Chromium against the same calls in Node (sharp): the same
 * tensors, transforms, error codes and post-processing results.
 *
 * Tolerances: without resampling, PNG pixels arrive unchanged on both sides, so tensors
 * agree to float32 rounding (1e-6). With resampling the two platforms use different
 * filters (libvips' linear reduce vs Skia's bilinear with mipmaps); on a linear ramp both
 * reproduce the ramp at mapped pixel centres away from the borders, where we allow 2 grey
 * levels (2/255 before normalisation). Baseline JPEG decoding (libjpeg-turbo on both
 * sides) may differ by its IDCT: 4 grey levels.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { decodeImage, findContours, imageToTensor, nonMaxSuppression, textBoxesFromProbabilityMap, type PreprocessOptions } from '@inproc/image';
import sharp from 'sharp';
import { type BrowserTestEnv, bytesRoute, openBrowserTest } from '@inproc/testkit/browser/harness';
import { describeInChromium } from './chromium.js';
import { IMAGENET_MEAN, IMAGENET_STD, maxAbsDiff, nchw, rampAt, rampImage, textMap } from '../image/helpers.js';

interface PageTensor {
  shape: number[];
  data: number[];
  transforms: unknown[];
}

function zeroSizePng(): Buffer {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IEND', new Uint8Array(0))]);
}

describeInChromium('@inproc/image in Chromium matches Node', () => {
  let env: BrowserTestEnv;
  let ramp: Buffer;
  let oriented: Buffer;
  let photo: Buffer;

  beforeAll(async () => {
    const r = rampImage();
    ramp = await sharp(Buffer.from(r.data), { raw: { width: r.width, height: r.height, channels: 3 } }).png().toBuffer();
    const stored = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) stored.set(x < 20 ? [230, 20, 20] : [20, 20, 230], (y * 40 + x) * 3);
    oriented = await sharp(stored, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    photo = await readFile(fileURLToPath(new URL('../../examples/ocr/inputs/photo.jpg', import.meta.url)));
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 0x5a)]);
    env = await openBrowserTest({
      entry: fileURLToPath(new URL('./pages/image.page.ts', import.meta.url)),
      routes: {
        '/ramp.png': bytesRoute(ramp, 'image/png'),
        '/oriented.jpg': bytesRoute(oriented, 'image/jpeg'),
        '/photo.jpg': bytesRoute(photo, 'image/jpeg'),
        '/corrupt.jpg': bytesRoute(corrupt, 'image/jpeg'),
        '/zero.png': bytesRoute(zeroSizePng(), 'image/png'),
      },
    });
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });

  it('ships no Node code: the browser build holds neither sharp nor node: imports', async () => {
    for (const [file] of env.built.files) {
      if (!file.endsWith('.js')) continue;
      const text = await readFile(`${env.built.dir}/${file}`, 'utf8');
      expect(text).not.toMatch(/["'`]node:|from\s*["']sharp["']|import\(\s*["']sharp["']/);
    }
  });

  it('without resampling: the same tensor from bytes, a Blob, a URL and an ImageBitmap (NCHW, NHWC, BGR, grey, uint8)', async () => {
    const cases: PreprocessOptions[] = [
      { mean: IMAGENET_MEAN, std: IMAGENET_STD },
      { layout: 'nhwc', channelOrder: 'bgr', mean: 0.5, std: 0.5 },
      { grayscale: true, dtype: 'uint8' },
      { dtype: 'int32', crop: { x: 3, y: 1, width: 9, height: 5 } },
    ];
    for (const options of cases) {
      const node = await imageToTensor(ramp, options);
      for (const as of ['bytes', 'blob', 'url', 'bitmap'] as const) {
        const page = await env.page.call<PageTensor>('toTensor', '/ramp.png', options, as);
        expect(page.shape).toEqual(node.tensor.shape);
        expect(page.transforms).toEqual(node.transforms);
        expect(maxAbsDiff(page.data, node.tensor.data)).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it('resize + normalise: both platforms give the ramp at mapped pixel centres (2 grey levels)', async () => {
    const options: PreprocessOptions = { width: 8, height: 2, fit: 'fill', mean: IMAGENET_MEAN, std: IMAGENET_STD };
    const node = await imageToTensor(ramp, options);
    const page = await env.page.call<PageTensor>('toTensor', '/ramp.png', options, 'bytes');
    expect(page.transforms).toEqual(node.transforms);
    for (let y = 0; y < 2; y++) {
      for (let x = 1; x < 7; x++) {
        for (let c = 0; c < 3; c++) {
          const i = nchw(c, y, x, 2, 8);
          const expected = rampAt(c, (x + 0.5) * 4 - 0.5, c === 0 ? (y + 0.5) * 4 - 0.5 : 0) / 255;
          const level = (v: number): number => Math.abs(v * IMAGENET_STD[c]! + IMAGENET_MEAN[c]! - expected) * 255;
          expect(level(page.data[i]!)).toBeLessThanOrEqual(2 + 1e-4);
          expect(level(node.tensor.data[i]!)).toBeLessThanOrEqual(1 + 1e-4);
        }
      }
    }
  });

  it('letterbox: the same transforms and padding', async () => {
    const options: PreprocessOptions = { width: 64, height: 64, fit: 'contain', padding: 114, dtype: 'uint8', layout: 'nhwc' };
    const node = await imageToTensor(photo, options);
    const page = await env.page.call<PageTensor>('toTensor', '/photo.jpg', options, 'bytes');
    expect(page.transforms).toEqual(node.transforms);
    // Padding rows are exact on both; image rows are resampled by different filters.
    const { offsetY } = node.transforms[0] as { offsetY: number };
    const padRows = Math.floor(offsetY) * 64 * 3;
    expect(page.data.slice(0, padRows)).toEqual([...node.tensor.data.subarray(0, padRows)]);
    expect(page.data.slice(0, padRows).every((v) => v === 114)).toBe(true);
  });

  it('EXIF orientation: the same upright image', async () => {
    const node = await decodeImage(oriented);
    const page = await env.page.call<{ width: number; height: number; data: number[] }>('decode', '/oriented.jpg', 'auto');
    expect([page.width, page.height]).toEqual([node.width, node.height]);
    expect(maxAbsDiff(page.data, node.data)).toBeLessThanOrEqual(4);
    const stored = await env.page.call<{ width: number; height: number }>('decode', '/oriented.jpg', 'none');
    expect([stored.width, stored.height]).toEqual([40, 20]);
  });

  it('bad input gets the same error codes', async () => {
    const expected: Record<string, { code: string; reason?: string }> = {
      empty: { code: 'INPUT_INVALID', reason: 'empty' },
      unknown: { code: 'INPUT_INVALID', reason: 'unknown-format' },
      corrupt: { code: 'INPUT_INVALID', reason: 'corrupt' },
      zero: { code: 'INPUT_INVALID', reason: 'zero-size' },
      missing: { code: 'INPUT_INVALID', reason: 'not-found' },
      badOption: { code: 'INPUT_INVALID', reason: 'bad-option' },
    };
    for (const [kind, want] of Object.entries(expected)) expect(await env.page.call('failure', kind), kind).toEqual(want);
  });

  it('post-processing gives identical results', async () => {
    const { map, width, height } = textMap();
    const page = await env.page.call<{ boxes: unknown; contours: unknown; nms: unknown }>('postprocess');
    expect(page.boxes).toEqual(JSON.parse(JSON.stringify(textBoxesFromProbabilityMap(map, width, height))));
    expect(page.contours).toEqual(findContours(Uint8Array.from(map, (v) => (v > 0.3 ? 1 : 0)), width, height).map((c) => c.points));
    expect(page.nms).toEqual(
      nonMaxSuppression(
        [
          { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
          { box: [1, 1, 11, 11], score: 0.8, classId: 0 },
          { box: [0, 0, 10, 10], score: 0.7, classId: 1 },
        ],
        { iouThreshold: 0.5 },
      ),
    );
  });
});
