/**
 * Bad input gets an `InprocError` with a code (and `details.reason`), never a crash or
 * a raw decoder error: corrupt, truncated, empty, 0x0, unknown formats, missing files,
 * bad options, manifests naming bad parameters.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessor } from 'inproc';
import { decodeImage, imagePreprocess, imageToTensor, nonMaxSuppression, resizeImage, textBoxesFromProbabilityMap, cropQuad, type PreprocessOptions, type ResizeOptions } from '@inproc/image';
import sharp from 'sharp';
import { failure as failed } from '../helpers/errors.js';

/** The failure's code, `details.reason` and message. */
async function failure(call: Promise<unknown> | (() => unknown)): Promise<{ code: string; reason: unknown; message: string }> {
  const e = await failed(call);
  return { code: e.code, reason: e.details?.['reason'], message: e.message };
}

/** A PNG whose IHDR says 0 x 0 (valid signature and CRCs), with an empty IDAT and IEND. */
function zeroSizePng(): Uint8Array {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(0, 0);
  ihdr.writeUInt32BE(0, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(0)), chunk('IEND', new Uint8Array(0))]);
}

let dir: string;
let jpeg: Buffer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inproc-image-'));
  const noise = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251));
  jpeg = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bad images', () => {
  it('a truncated JPEG is INPUT_INVALID (corrupt)', async () => {
    expect(await failure(imageToTensor(jpeg.subarray(0, jpeg.length >> 1), { width: 8, height: 8 }))).toMatchObject({ code: 'INPUT_INVALID', reason: 'corrupt' });
  });

  it('a JPEG with garbage after its header is INPUT_INVALID (corrupt)', async () => {
    const broken = Buffer.from(jpeg);
    broken.fill(0x55, 200, 600);
    expect(await failure(decodeImage(broken))).toMatchObject({ code: 'INPUT_INVALID', reason: 'corrupt' });
  });

  it('empty bytes and an empty file are INPUT_INVALID (empty)', async () => {
    const empty = join(dir, 'empty.jpg');
    await writeFile(empty, '');
    expect(await failure(decodeImage(new Uint8Array(0)))).toMatchObject({ code: 'INPUT_INVALID', reason: 'empty' });
    expect(await failure(imageToTensor(empty))).toMatchObject({ code: 'INPUT_INVALID', reason: 'empty' });
  });

  it('a 0x0 PNG and 0x0 pixels are INPUT_INVALID (zero-size)', async () => {
    expect(await failure(decodeImage(zeroSizePng()))).toMatchObject({ code: 'INPUT_INVALID', reason: 'zero-size' });
    expect(await failure(imageToTensor({ data: new Uint8Array(0), width: 0, height: 0, channels: 3 }))).toMatchObject({ code: 'INPUT_INVALID', reason: 'zero-size' });
  });

  it('unknown formats are INPUT_INVALID (unknown-format) and say what the bytes start with', async () => {
    const text = await failure(decodeImage(new TextEncoder().encode('hello, this is not an image')));
    expect(text).toMatchObject({ code: 'INPUT_INVALID', reason: 'unknown-format' });
    expect(text.message).toContain('68 65 6c 6c');
    const bmp = Buffer.alloc(64);
    bmp.write('BM', 0, 'latin1');
    expect(await failure(decodeImage(bmp))).toMatchObject({ code: 'INPUT_INVALID', reason: 'unknown-format' });
  });

  it('missing files, directories and http URLs (Node never fetches)', async () => {
    expect(await failure(decodeImage(join(dir, 'nope.png')))).toMatchObject({ code: 'INPUT_INVALID', reason: 'not-found' });
    expect(await failure(decodeImage(dir))).toMatchObject({ code: 'INPUT_INVALID', reason: 'not-found' });
    expect(await failure(decodeImage('https://example.com/cat.jpg'))).toMatchObject({ code: 'INPUT_INVALID', reason: 'unsupported-source' });
    expect(await failure(decodeImage(42 as never))).toMatchObject({ code: 'INPUT_INVALID', reason: 'unsupported-source' });
  });

  it('pixels whose size disagrees with their data', async () => {
    expect(await failure(imageToTensor({ data: new Uint8Array(10), width: 2, height: 2, channels: 3 }))).toMatchObject({ code: 'INPUT_INVALID', reason: 'bad-option' });
    expect(await failure(imageToTensor({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 as never }))).toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('bad options', () => {
  const img = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 as const };
  const cases: [string, Record<string, unknown>][] = [
    ['contain without a size', { fit: 'contain' }],
    ['an unknown fit', { fit: 'stretch', width: 2, height: 2 }],
    ['a fractional width', { width: 2.5, height: 2 }],
    ['an unknown kernel', { width: 2, height: 2, kernel: 'bicubic' }],
    ['mean with two values for three channels', { mean: [0.5, 0.5] }],
    ['std 0', { std: 0 }],
    ['an unknown layout', { layout: 'chw' }],
    ['an unknown dtype', { dtype: 'float16' }],
    ['a crop outside the image', { crop: { x: 1, y: 1, width: 2, height: 2 } }],
    ['centerCrop with cover', { fit: 'cover', width: 2, height: 2, centerCrop: { width: 1, height: 1 } }],
    ['a bad orientation', { orientation: 'left' }],
    ['padding that is not a number', { fit: 'contain', width: 4, height: 4, padding: 'black' }],
  ];
  for (const [name, options] of cases) {
    it(`${name} is INPUT_INVALID`, async () => {
      expect((await failure(imageToTensor(img, options as never))).code).toBe('INPUT_INVALID');
    });
  }

  it('a fit without the sizes it needs does not compile, and is INPUT_INVALID for untyped callers', async () => {
    // `npm run typecheck` fails if any of these compiles.
    // @ts-expect-error longest-edge needs size
    const noSize: PreprocessOptions = { fit: 'longest-edge' };
    // @ts-expect-error contain needs width and height
    const noBox: PreprocessOptions = { fit: 'contain', width: 4 };
    // @ts-expect-error size belongs to the edge fits
    const mixed: ResizeOptions = { fit: 'cover', width: 2, height: 2, size: 2 };
    expect(mixed.fit).toBe('cover');
    expect((await failure(() => imagePreprocess(noSize))).code).toBe('INPUT_INVALID');
    expect((await failure(imageToTensor(img, noBox))).code).toBe('INPUT_INVALID');
    // The typed forms run, and a fit is inferred from the sizes given.
    expect((await imageToTensor(img, { fit: 'longest-edge', size: 4 })).tensor.shape).toEqual([1, 3, 4, 4]);
    expect((await imageToTensor(img, { size: 4 })).tensor.shape).toEqual([1, 3, 4, 4]);
    expect((await imageToTensor(img, { fit: 'contain', width: 4, height: 2 })).tensor.shape).toEqual([1, 3, 2, 4]);
  });

  it('an empty batch is INPUT_INVALID, a batch of different sizes INPUT_SHAPE', async () => {
    expect((await failure(imageToTensor([]))).code).toBe('INPUT_INVALID');
    const other = { data: new Uint8Array(27), width: 3, height: 3, channels: 3 as const };
    expect((await failure(imageToTensor([img, other]))).code).toBe('INPUT_SHAPE');
  });

  it('post-processing helpers check their arguments', async () => {
    expect((await failure(() => textBoxesFromProbabilityMap(new Float32Array(5), 2, 2))).code).toBe('INPUT_INVALID');
    expect((await failure(() => nonMaxSuppression([], { iouThreshold: 2 }))).code).toBe('INPUT_INVALID');
    expect((await failure(() => cropQuad(img, [[0, 0], [1, 0]] as never))).code).toBe('INPUT_INVALID');
    expect((await failure(resizeImage(img, { width: 1, height: 1, channels: 4 as never }))).code).toBe('INPUT_INVALID');
  });

  it('manifests: an unknown parameter or a bad value fails when the processor is created', async () => {
    expect((await failure(() => createProcessor({ name: 'image.preprocess', params: { fit: 'bogus', width: 2, height: 2 } }))).code).toBe('INPUT_INVALID');
    expect((await failure(() => createProcessor({ name: 'image.preprocess', params: { colour: 'rgb' } }))).code).toBe('INPUT_INVALID');
    expect((await failure(() => createProcessor({ name: 'image.to-tensor', params: { input: 3 } }))).code).toBe('INPUT_INVALID');
    expect((await failure(() => createProcessor({ name: 'image.detections', params: {} }))).code).toBe('INPUT_INVALID');
  });
});
