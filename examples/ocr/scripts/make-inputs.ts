/**
 * Generates the bundled OCR inputs in ../inputs (committed, so that the demo and the
 * tests need no fonts): text rendered with sharp's SVG renderer (librsvg + fontconfig).
 * Regenerating needs the fonts named below: DejaVu Sans and Liberation (fonts-dejavu-core,
 * fonts-liberation) and, for Chinese, WenQuanYi Zen Hei (Debian: fonts-wqy-zenhei).
 *
 *   npm run make-inputs -w examples/ocr
 *
 * `english.png` and `chinese.png` are clean; `photo.jpg` (serif and CJK text on a
 * noisy, blurred, slightly rotated background, JPEG-compressed) and `upside-down.png`
 * (printed text rotated 180 degrees) are the "not tuned on" inputs.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const out = (name: string): string => fileURLToPath(new URL(`../inputs/${name}`, import.meta.url));
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Line {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly size: number;
  readonly font: string;
  readonly fill?: string;
  readonly weight?: string;
}

function svg(width: number, height: number, lines: readonly Line[], background?: string): Buffer {
  const body = lines
    .map((l) => `<text x="${l.x}" y="${l.y}" font-family="${l.font}" font-size="${l.size}" font-weight="${l.weight ?? 'normal'}" fill="${l.fill ?? '#111'}">${esc(l.text)}</text>`)
    .join('');
  const bg = background === undefined ? '' : `<rect width="100%" height="100%" fill="${background}"/>`;
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${bg}${body}</svg>`);
}

// Seeded noise, so that the committed files are reproducible.
function noiseBackground(width: number, height: number, seed: number): Buffer {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Paper-like: a warm gradient with fibres of noise.
      const base = 215 + 25 * Math.sin(x / 97) * Math.cos(y / 71) - (40 * y) / height;
      const n = (rand() - 0.5) * 44;
      const i = (y * width + x) * 3;
      px[i] = Math.max(0, Math.min(255, base + n + 8));
      px[i + 1] = Math.max(0, Math.min(255, base + n));
      px[i + 2] = Math.max(0, Math.min(255, base + n - 18));
    }
  }
  return px;
}

const SANS = 'DejaVu Sans';
const SERIF = 'Liberation Serif';
const CJK = 'WenQuanYi Zen Hei';

await sharp(
  svg(
    760,
    230,
    [
      { text: 'Inproc reads text in images.', x: 30, y: 60, size: 36, font: SANS },
      { text: 'Invoice No. 2024-0815', x: 30, y: 125, size: 36, font: SANS },
      { text: 'Total: $42.50', x: 30, y: 190, size: 36, font: SANS },
    ],
    '#fff',
  ),
)
  .png()
  .toFile(out('english.png'));

await sharp(
  svg(
    620,
    240,
    [
      { text: '欢迎使用文字识别', x: 30, y: 65, size: 40, font: CJK },
      { text: '今天天气很好', x: 30, y: 135, size: 40, font: CJK },
      { text: '价格：128元', x: 30, y: 205, size: 40, font: CJK },
    ],
    '#fff',
  ),
)
  .png()
  .toFile(out('chinese.png'));

// Untuned: other fonts and sizes, colours, noise, blur, a small rotation, JPEG.
{
  const width = 900;
  const height = 420;
  const text = svg(width, height, [
    { text: 'OPEN DAILY 9:00 - 18:00', x: 60, y: 90, size: 46, font: SERIF, weight: 'bold', fill: '#1b2a4a' },
    { text: 'Fresh coffee and tea', x: 60, y: 170, size: 30, font: SERIF, fill: '#3a2a1a' },
    { text: '北京市朝阳区建国路88号', x: 60, y: 260, size: 38, font: CJK, fill: '#202020' },
    { text: 'Tel 010-6543 2100', x: 60, y: 340, size: 26, font: SANS, fill: '#402020' },
  ]);
  const photo = await sharp(noiseBackground(width, height, 7), { raw: { width, height, channels: 3 } })
    .composite([{ input: text }])
    .blur(1.1)
    .rotate(-3, { background: '#c8bfae' })
    .jpeg({ quality: 78 })
    .toBuffer();
  await writeFile(out('photo.jpg'), photo);
}

await sharp(
  svg(
    700,
    200,
    [
      { text: 'Keep this side up', x: 40, y: 80, size: 40, font: SERIF },
      { text: 'Handle with care 2x', x: 40, y: 155, size: 34, font: SANS },
    ],
    '#f4f1ea',
  ),
)
  .rotate(180)
  .png()
  .toFile(out('upside-down.png'));

console.error('wrote english.png, chinese.png, photo.jpg, upside-down.png');
