/**
 * Wake words with openWakeWord's models as one streaming model graph (`StreamGraph`):
 *
 *   16 kHz audio ─ melspectrogram (1760 samples every 1280: 8 frames of 32, x / 10 + 2)
 *                ─ embedding (76 frames every 8: one 96-value embedding per 80 ms)
 *                ├ hey_jarvis  (the last 16 embeddings: a score)
 *                ├ alexa       (same embeddings, run concurrently)
 *                └ ...
 *
 * The trunk (melspectrogram, embedding) runs once per 80 ms step for every head; a long
 * push runs its steps as one batch. A detection spans the times at which a keyword's score
 * first and last stood at or above the threshold: one per utterance. Works on any WAV
 * (decoded and resampled to 16 kHz mono) and on live audio pushed in chunks of any size.
 * This module runs in Node and in browsers: the models are named by a function from file
 * name to path or URL (wakeword.ts adds what is Node's: files, the npm package).
 * @module
 */
import { InprocError, loadModel, type LoadOptions, type Model } from 'inproc';
import { StreamGraph, type GraphResult } from '@inproc/audio';

/** The wake words this example knows, each a head over 16 embeddings (1.28 s). */
export const KEYWORDS = ['hey_jarvis', 'alexa', 'hey_mycroft', 'hey_rhasspy'] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** The model files, as named in the npm package's `models/` folder. */
export const MODEL_FILES = ['melspectrogram.onnx', 'embedding_model.onnx', ...KEYWORDS.map((k) => `${k}_v0.1.onnx`)] as const;

/** The models' rate. */
export const SAMPLE_RATE = 16000;
/** Samples per step (80 ms): one embedding and one score per keyword. */
export const STEP = 1280;

export interface WakeWordOptions {
  /** Default all four. */
  readonly keywords?: readonly Keyword[];
  /** Default 0.5. */
  readonly threshold?: number;
  /** Passed to every `loadModel` (e.g. `{ isolation: 'worker' }`, a backend or device). */
  readonly loadOptions?: LoadOptions;
  /** Called as soon as a keyword's score crosses the threshold (before its end is known). */
  readonly onStart?: (start: DetectionStart) => void;
  /** Steps (80 ms) a score must stay below the threshold before a detection ends: a shorter dip inside one utterance does not split it. Default 4 (320 ms). */
  readonly gapSteps?: number;
  /** Samples accepted but not yet processed beyond which `push()` rejects with QUEUE_FULL. Default unbounded. */
  readonly maxBuffered?: number;
}

/** A keyword heard: seconds from the start of the input (3 decimals). */
export interface Detection {
  readonly keyword: Keyword;
  /** The highest score while it lasted. */
  readonly score: number;
  readonly start: number;
  readonly end: number;
}

export type DetectionStart = Omit<Detection, 'end'>;

/** A live detector: push 16 kHz audio, get detections. Owns its models. */
export class WakeWordDetector implements AsyncDisposable {
  readonly graph: StreamGraph;
  readonly keywords: readonly Keyword[];
  readonly #threshold: number;
  readonly #onStart: ((s: DetectionStart) => void) | undefined;
  readonly #gap: number;
  readonly #open = new Map<string, { start: number; end: number; score: number; below: number }>();

  /** @internal use {@link openWakeWord} */
  constructor(graph: StreamGraph, keywords: readonly Keyword[], options: WakeWordOptions) {
    this.graph = graph;
    this.keywords = keywords;
    this.#threshold = options.threshold ?? 0.5;
    this.#onStart = options.onStart;
    this.#gap = options.gapSteps ?? 4;
  }

  /**
   * Pushes audio: 16 kHz mono samples in [-1, 1] (a Float32Array), or 16-bit PCM
   * (an Int16Array, as `arecord -f S16_LE` writes). Resolves with the detections that
   * ended within it.
   * @throws InprocError as `StreamGraph.push`
   */
  async push(samples: Float32Array | Int16Array): Promise<Detection[]> {
    // openWakeWord's melspectrogram takes samples at 16-bit scale.
    const scaled = new Float32Array(samples.length);
    const k = samples instanceof Int16Array ? 1 : 32767;
    for (let i = 0; i < samples.length; i++) scaled[i] = samples[i]! * k;
    return this.#track(await this.graph.push(scaled));
  }

  /** Ends the detections still open (the input ended while a score stood above the threshold). */
  finish(): Detection[] {
    const done = [...this.#open].map(([keyword, d]) => detection(keyword as Keyword, d));
    this.#open.clear();
    return done;
  }

  /** Starts a new stream: forgets the audio so far and any open detection. */
  async reset(): Promise<void> {
    await this.graph.reset();
    this.#open.clear();
  }

  /** Frees every model once; waits for a push in flight. */
  dispose(): Promise<void> {
    return this.graph.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #track(results: readonly GraphResult[]): Detection[] {
    const done: Detection[] = [];
    for (const r of results) {
      const score = r.values[0]!;
      const at = r.end / SAMPLE_RATE;
      const open = this.#open.get(r.stage);
      if (score >= this.#threshold) {
        if (open === undefined) {
          this.#open.set(r.stage, { start: at, end: at, score, below: 0 });
          this.#onStart?.({ keyword: r.stage as Keyword, score: round(score), start: round(at) });
        } else {
          open.end = at;
          open.score = Math.max(open.score, score);
          open.below = 0;
        }
      } else if (open !== undefined && ++open.below >= this.#gap) {
        done.push(detection(r.stage as Keyword, open));
        this.#open.delete(r.stage);
      }
    }
    return done;
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const detection = (keyword: Keyword, d: { start: number; end: number; score: number }): Detection => ({ keyword, score: round(d.score), start: round(d.start), end: round(d.end) });

/** openWakeWord's melspectrogram scaling, in place. */
function melScale(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) values[i] = values[i]! / 10 + 2;
}

/**
 * Loads the models (`locate('melspectrogram.onnx')` etc.: a path or URL) and builds the graph.
 * @throws InprocError `INPUT_INVALID` for an unknown keyword or a bad threshold, and what `loadModel` throws
 */
export async function openWakeWordAt(locate: (file: string) => string, options: WakeWordOptions = {}): Promise<WakeWordDetector> {
  const keywords = options.keywords ?? KEYWORDS;
  for (const k of keywords) if (!(KEYWORDS as readonly string[]).includes(k)) throw new InprocError('INPUT_INVALID', `unknown keyword "${String(k)}"; known: ${KEYWORDS.join(', ')}`);
  if (keywords.length === 0 || new Set(keywords).size !== keywords.length) throw new InprocError('INPUT_INVALID', `keywords must be distinct and at least one, got [${keywords.join(', ')}]`);
  const threshold = options.threshold ?? 0.5;
  if (options.gapSteps !== undefined && !(Number.isInteger(options.gapSteps) && options.gapSteps >= 1)) throw new InprocError('INPUT_INVALID', `gapSteps must be a positive integer, got ${String(options.gapSteps)}`);
  if (!(threshold > 0 && threshold < 1)) throw new InprocError('INPUT_INVALID', `threshold must be in (0, 1), got ${String(threshold)}`);
  const files = ['melspectrogram.onnx', 'embedding_model.onnx', ...keywords.map((k) => `${k}_v0.1.onnx`)];
  const loaded = await Promise.allSettled(files.map((f) => loadModel(locate(f), options.loadOptions)));
  const models = loaded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(models.map((m) => m.dispose()));
    throw failed.reason;
  }
  const [mel, embedding, ...heads] = models as [Model, Model, ...Model[]];
  try {
    const graph = new StreamGraph({
      ...(options.maxBuffered === undefined ? {} : { maxBuffered: options.maxBuffered }),
      stages: [
        // 1760 samples give 8 frames (512-sample windows, hop 160); the first run sees 480 samples of silence before the stream.
        // One step per run: the model clamps to 80 dB below the loudest value of its whole input, so it is run as openWakeWord streams it.
        { name: 'melspectrogram', model: mel, window: STEP + 480, stride: STEP, history: { frames: 480 }, transform: melScale },
        // Before the stream: mel frames of 1, as openWakeWord starts its buffer.
        { name: 'embedding', model: embedding, window: 76, stride: 8, history: { frames: 68, value: 1 }, frameWidth: 96, maxBatch: 256 },
        // No history: a head scores only windows of 16 embeddings of the stream (from 1.28 s on); a window padded with made-up embeddings gives false alarms.
        ...keywords.map((k, i) => ({ name: k, from: 'embedding', model: heads[i]!, window: 16 })),
      ],
    });
    return new WakeWordDetector(graph, keywords, { ...options, threshold });
  } catch (error) {
    await Promise.all(models.map((m) => m.dispose()));
    throw error;
  }
}

/** Runs 16 kHz samples through a detector from a fresh start, in chunks of `chunk` samples. */
export async function detectIn(detector: WakeWordDetector, samples: Float32Array, chunk = samples.length): Promise<Detection[]> {
  if (!Number.isInteger(chunk) || chunk < 1) throw new InprocError('INPUT_INVALID', `chunk must be a positive integer, got ${String(chunk)}`);
  await detector.reset();
  const found: Detection[] = [];
  for (let at = 0; at < samples.length; at += chunk) found.push(...(await detector.push(samples.subarray(at, at + chunk))));
  found.push(...detector.finish());
  // In time order (one push reports keyword by keyword).
  return found.sort((a, b) => a.start - b.start || a.keyword.localeCompare(b.keyword));
}
