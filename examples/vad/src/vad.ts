/**
 * Voice activity detection on any WAV file with Silero VAD v5 (the ONNX model shipped
 * in @ricky0123/vad-web), as an Inproc pipeline: decode (any rate, bit depth, channels)
 * -> resample to 16 kHz -> stream 32 ms chunks through the model, carrying its state ->
 * speech segments with Silero's hysteresis and minimum durations. One `dispose()`
 * frees the model.
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { InprocError, Tensor, loadModel, pipeline, type Model, type Pipeline, type Runnable } from 'inproc';
import { type AudioClip, AudioStream, decodeWavProcessor, resample, speechSegments } from '@inproc/audio';

/** The model's rate: Silero VAD v5 takes 16 kHz audio in 512-sample chunks with 64 samples of context. */
export const SAMPLE_RATE = 16000;
const CHUNK = 512;
const CONTEXT = 64;

/** Segmentation options; the defaults are Silero VAD's (`get_speech_timestamps`). */
export interface VadOptions {
  /** Speech starts at this probability; default 0.5. */
  readonly threshold?: number;
  /** Speech ends only below this; default `threshold - 0.15`. */
  readonly negativeThreshold?: number;
  /** Default 250. */
  readonly minSpeechMs?: number;
  /** Default 100. */
  readonly minSilenceMs?: number;
  /** Default 30. */
  readonly speechPadMs?: number;
  /** Path of a Silero VAD v5 ONNX file; default the one in @ricky0123/vad-web. */
  readonly modelPath?: string;
}

/** A stretch of speech, in seconds (3 decimals). */
export interface SpeechSegment {
  readonly start: number;
  readonly end: number;
}

export interface VadResult {
  readonly sampleRate: typeof SAMPLE_RATE;
  readonly segments: SpeechSegment[];
}

/** The speech probability of every chunk of a 16 kHz clip. */
interface Probabilities {
  readonly values: Float32Array;
  readonly totalSamples: number;
}

/** The default model file. */
export function sileroModelPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
}

/** Runs Silero over a whole clip through an AudioStream; owns the model. */
class SileroStep implements Runnable<AudioClip, Probabilities> {
  readonly name = 'silero-vad';
  readonly #model: Model;
  readonly #sr = new Tensor('int64', [BigInt(SAMPLE_RATE)], []);

  constructor(model: Model) {
    this.#model = model;
  }

  async run(clip: AudioClip, options?: { readonly signal?: AbortSignal }): Promise<Probabilities> {
    using stream = new AudioStream(this.#model, { chunkSize: CHUNK, context: CONTEXT, state: [{ input: 'state', output: 'stateN', shape: [2, 1, 128] }], constants: { sr: this.#sr } });
    const signal = options?.signal === undefined ? {} : { signal: options.signal };
    const results = [...(await stream.push(clip.samples, signal)), ...(await stream.flush(signal))];
    const values = Float32Array.from(results, (r) => (r.outputs['output']!.data as Float32Array)[0]!);
    return { values, totalSamples: clip.samples.length };
  }

  dispose(): Promise<void> {
    return this.#model.dispose();
  }
}

/**
 * Loads the model and returns a pipeline from WAV bytes to speech segments. Reuse it for
 * many files; dispose it once.
 * @throws InprocError from loading the model; when run: `INPUT_INVALID` for a file that is not a decodable WAV, `INPUT_SHAPE` for audio shorter than one 32 ms chunk
 */
export async function openVad(options: VadOptions = {}): Promise<Pipeline<Uint8Array, VadResult>> {
  const model = await loadModel(options.modelPath ?? sileroModelPath());
  const segmentOptions = {
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    ...(options.negativeThreshold === undefined ? {} : { negativeThreshold: options.negativeThreshold }),
    ...(options.minSpeechMs === undefined ? {} : { minSpeechMs: options.minSpeechMs }),
    ...(options.minSilenceMs === undefined ? {} : { minSilenceMs: options.minSilenceMs }),
    ...(options.speechPadMs === undefined ? {} : { speechPadMs: options.speechPadMs }),
  };
  return pipeline(
    decodeWavProcessor(),
    function to16k(wav: AudioClip): AudioClip {
      const clip = resample(wav, SAMPLE_RATE);
      // Shorter than one chunk holds no 32 ms of anything: the model cannot answer.
      if (clip.samples.length < CHUNK) {
        throw new InprocError('INPUT_SHAPE', `the audio lasts ${(wav.samples.length / wav.sampleRate).toFixed(4)} s (${wav.samples.length} samples at ${wav.sampleRate} Hz); VAD needs at least ${(CHUNK / SAMPLE_RATE) * 1000} ms`);
      }
      return clip;
    },
    new SileroStep(model),
    function toSegments(p: Probabilities): VadResult {
      const found = speechSegments(p.values, { chunkSize: CHUNK, sampleRate: SAMPLE_RATE, totalSamples: p.totalSamples, ...segmentOptions });
      return { sampleRate: SAMPLE_RATE, segments: found.map((s) => ({ start: seconds(s.start), end: seconds(s.end) })) };
    },
  );
}

const seconds = (samples: number): number => Math.round((samples / SAMPLE_RATE) * 1000) / 1000;

/** Speech segments of one WAV file (path or bytes): loads the model, runs, frees it. */
export async function detectSpeech(input: string | Uint8Array, options: VadOptions = {}): Promise<VadResult> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const vad = await openVad(options);
  try {
    return await vad.run(bytes);
  } finally {
    await vad.dispose();
  }
}

/** One line per segment, for people. */
export function summarize(result: VadResult): string {
  const total = result.segments.reduce((s, g) => s + g.end - g.start, 0);
  const lines = result.segments.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.start.toFixed(3)} s - ${s.end.toFixed(3)} s (${(s.end - s.start).toFixed(2)} s)`);
  return [`${result.segments.length} speech segment${result.segments.length === 1 ? '' : 's'}, ${total.toFixed(2)} s of speech`, ...lines].join('\n');
}
