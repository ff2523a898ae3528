/**
 * Silero VAD v5 in a page: decode and resample audio with Web Audio, stream 32 ms
 * chunks (512 samples plus 64 of context, at 16 kHz) through the model with its state
 * carried over, and turn the speech probabilities into segments.
 * @module
 */
import { Tensor, loadModel, type Model } from 'inproc';

export const SAMPLE_RATE = 16000;
const CHUNK = 512;
const CONTEXT = 64;

/** Audio decoded by the browser, mixed to mono and resampled to 16 kHz. */
export async function decodeAudio(bytes: ArrayBuffer): Promise<Float32Array> {
  const decoded = await new OfflineAudioContext(1, 1, SAMPLE_RATE).decodeAudioData(bytes);
  const offline = new OfflineAudioContext(1, Math.ceil(decoded.duration * SAMPLE_RATE), SAMPLE_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  return (await offline.startRendering()).getChannelData(0);
}

export interface VadRun {
  /** The device the model ran on (`webgpu` or `wasm` after a fallback). */
  readonly device: string;
  readonly backend: string;
  readonly loadMs: number;
  /** Speech probability per 32 ms chunk. */
  readonly probabilities: readonly number[];
  /** Mean wall time of one model run. */
  readonly msPerRun: number;
  readonly segments: readonly { start: number; end: number }[];
}

/** Loads the model on `device` and runs it over `audio` (16 kHz mono). */
export async function runVad(modelUrl: string, audio: Float32Array, device: string): Promise<VadRun> {
  const t0 = performance.now();
  const model = await loadModel(modelUrl, { device });
  const loadMs = performance.now() - t0;
  try {
    const { probabilities, msPerRun } = await probabilitiesOf(model, audio);
    return { device: model.device, backend: model.backend, loadMs, probabilities, msPerRun, segments: segmentsOf(probabilities) };
  } finally {
    await model.dispose();
  }
}

async function probabilitiesOf(model: Model, audio: Float32Array): Promise<{ probabilities: number[]; msPerRun: number }> {
  let state: Tensor = new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  const sr = new Tensor('int64', [BigInt(SAMPLE_RATE)], []);
  const window = new Float32Array(CONTEXT + CHUNK);
  const probabilities: number[] = [];
  let busy = 0;
  for (let offset = 0; offset + CHUNK <= audio.length; offset += CHUNK) {
    window.copyWithin(0, CHUNK); // the last 64 samples of the previous chunk become the context
    window.set(audio.subarray(offset, offset + CHUNK), CONTEXT);
    const t = performance.now();
    const out = await model.run({ input: new Tensor('float32', window.slice(), [1, CONTEXT + CHUNK]), state, sr });
    busy += performance.now() - t;
    probabilities.push((out['output']!.data as Float32Array)[0]!);
    state = out['stateN']!;
  }
  return { probabilities, msPerRun: probabilities.length === 0 ? 0 : busy / probabilities.length };
}

/** Silero's hysteresis: speech from p >= 0.5 until p < 0.35; at least 250 ms of speech, 100 ms of silence. */
export function segmentsOf(probabilities: readonly number[]): { start: number; end: number }[] {
  const chunkS = CHUNK / SAMPLE_RATE;
  const segments: { start: number; end: number }[] = [];
  let start: number | undefined;
  let silentSince: number | undefined;
  probabilities.forEach((p, i) => {
    if (p >= 0.5) {
      start ??= i;
      silentSince = undefined;
    } else if (start !== undefined && p < 0.35) {
      silentSince ??= i;
      if ((i - silentSince + 1) * chunkS >= 0.1) {
        if ((silentSince - start) * chunkS >= 0.25) segments.push({ start: round(start * chunkS), end: round(silentSince * chunkS) });
        start = undefined;
        silentSince = undefined;
      }
    }
  });
  if (start !== undefined && (probabilities.length - start) * chunkS >= 0.25) segments.push({ start: round(start * chunkS), end: round(probabilities.length * chunkS) });
  return segments;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
