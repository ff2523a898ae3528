/**
 * The vad example end to end: its bundled demo input with the exact expected answer,
 * inputs it was not tuned on (other voices, rates, bit depths, stereo, noise) checked
 * against where the speech was placed (examples/vad/samples/truth.json, written by the
 * script that synthesised them with espeak-ng), bad inputs, and the CLI.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources, type Pipeline } from 'inproc';
import { encodeWav } from '@inproc/audio';
import { detectSpeech, openVad, type VadResult } from '../../examples/vad/src/vad.js';
import { code } from '../helpers/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const samples = join(root, 'examples/vad/samples');
const truth = JSON.parse(readFileSync(join(samples, 'truth.json'), 'utf8')) as Record<string, { duration: number; speech: { start: number; end: number }[] }>;


describe('vad example', () => {
  const before = resources();
  let vad: Pipeline<Uint8Array, VadResult>;
  beforeAll(async () => {
    vad = await openVad();
  });
  afterAll(async () => {
    await vad.dispose();
    expect(resources()).toEqual(before);
  });

  it('finds the exact segments of the bundled demo input', async () => {
    const result = await vad.run(readFileSync(join(samples, 'speech.wav')));
    // "Hello." | "This is a short test of voice activity detection." | "Speech, then silence, then speech again."
    expect(result).toEqual({
      sampleRate: 16000,
      segments: [
        { start: 0.834, end: 1.31 },
        { start: 1.538, end: 4.254 },
        { start: 6.114, end: 8.542 },
      ],
    });
  });

  it.each(['female-32k-stereo.wav', 'scottish-8k-8bit.wav', 'german-44k-24bit.wav'])('finds the speech in %s (not tuned on) where it was placed', async (file) => {
    const { segments } = await vad.run(readFileSync(join(samples, file)));
    const placed = truth[file]!.speech;
    // Every segment lies within one placed utterance (padding and rounding allow 0.1 s);
    // every utterance has a segment starting close to where it was placed (espeak-ng
    // starts speaking within a few tens of ms; the placed end includes its trailing silence).
    for (const s of segments) {
      const inside = placed.filter((u) => s.start >= u.start - 0.1 && s.end <= u.end + 0.1);
      expect(inside, `segment ${s.start}-${s.end} in ${file}`).toHaveLength(1);
    }
    for (const u of placed) {
      const mine = segments.filter((s) => s.start >= u.start - 0.1 && s.end <= u.end + 0.1);
      expect(mine.length, `utterance at ${u.start} in ${file}`).toBeGreaterThan(0);
      expect(Math.abs(mine[0]!.start - u.start)).toBeLessThan(0.3);
      // Most of the utterance is covered by speech.
      const covered = mine.reduce((sum, s) => sum + s.end - s.start, 0);
      expect(covered / (u.end - u.start)).toBeGreaterThan(0.6);
    }
  });

  it('finds no speech in faint noise', async () => {
    expect(await vad.run(readFileSync(join(samples, 'noise-16k-float.wav')))).toEqual({ sampleRate: 16000, segments: [] });
  });

  it('gives the same answer for any rate and layout of the same audio', async () => {
    // The demo input converted here: 48 kHz stereo float and 16 kHz 8-bit differ only by resampling and quantisation.
    const { decodeWav, resample } = await import('@inproc/audio');
    const clip = decodeWav(readFileSync(join(samples, 'speech.wav')));
    const at48k = resample(clip, 48000).samples;
    const stereo = encodeWav([at48k, at48k], { sampleRate: 48000, bitDepth: '32f' });
    const expected = await vad.run(readFileSync(join(samples, 'speech.wav')));
    const got = await vad.run(stereo);
    expect(got.segments.length).toBe(expected.segments.length);
    got.segments.forEach((s, i) => {
      expect(Math.abs(s.start - expected.segments[i]!.start)).toBeLessThanOrEqual(0.064);
      expect(Math.abs(s.end - expected.segments[i]!.end)).toBeLessThanOrEqual(0.064);
    });
  });

  it('rejects an empty file, a text file, an unknown WAV encoding and a 1-sample WAV with codes', async () => {
    expect(await code(vad.run(new Uint8Array(0)))).toBe('INPUT_INVALID');
    expect(await code(vad.run(new TextEncoder().encode('RIFF but not really a wave file')))).toBe('INPUT_INVALID');
    const mp3 = encodeWav([new Float32Array(16000)], { sampleRate: 16000 });
    new DataView(mp3.buffer).setUint16(20, 0x0055, true);
    expect(await code(vad.run(mp3))).toBe('INPUT_INVALID');
    expect(await code(vad.run(encodeWav([Float32Array.from([0.1])], { sampleRate: 16000 })))).toBe('INPUT_SHAPE');
    // 31 ms at 16 kHz: still shorter than one chunk.
    expect(await code(vad.run(encodeWav([new Float32Array(500)], { sampleRate: 16000 })))).toBe('INPUT_SHAPE');
  });
});

describe('vad example: detectSpeech and the CLI', () => {
  it('detectSpeech reads a path and frees the model', async () => {
    const before = resources();
    const result = await detectSpeech(join(samples, 'scottish-8k-8bit.wav'));
    expect(result.segments.length).toBe(3);
    expect(resources()).toEqual(before);
  });

  it('prints JSON on stdout and a summary on stderr; an error code and exit 1 for a bad file', async () => {
    const run = promisify(execFile);
    const tsx = join(root, 'node_modules/.bin/tsx');
    const main = join(root, 'examples/vad/src/main.ts');
    const { stdout, stderr } = await run(tsx, [main, join(samples, 'speech.wav')], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ sampleRate: 16000, segments: [{ start: 0.834, end: 1.31 }, { start: 1.538, end: 4.254 }, { start: 6.114, end: 8.542 }] });
    expect(stderr).toContain('3 speech segments');
    const failed = await run(tsx, [main, join(samples, 'truth.json')], { cwd: root }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string; stdout: string },
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain('INPUT_INVALID');
  });
});
