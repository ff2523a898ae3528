/**
 * Streaming audio through a stateful model (Silero VAD, streaming ASR encoders):
 * samples arrive in pieces of any length, the stream cuts them into fixed chunks
 * (optionally with context samples of the previous chunk prepended), feeds each chunk
 * with the model's recurrent state, and carries the state output to the next run. The
 * stream owns the state tensors: it disposes each one once the next replaces it, and
 * the last on `reset()` / `dispose()`. It does not own the model, which can serve many
 * streams at once. The audio is windowed as a `StreamGraph` stage's (window = context +
 * chunk, stride = chunk, the context's zeros as history): each chunk is fed as a view of
 * the rolling buffer, without a copy.
 * @module
 */
import { type DType, type Feeds, InprocError, type Outputs, Tensor } from '@inproc/core';
import { SerialQueue } from './serial-queue.js';
import { FrameBuffer } from './stream-graph.js';

/** Anything with `run(feeds)`: a `Model`. */
export interface StreamModel {
  run(feeds: Feeds, options?: { readonly signal?: AbortSignal }): Promise<Outputs>;
}

/** One recurrent state: fed as `input`, read back from `output` after each run. */
export interface StateBinding {
  readonly input: string;
  readonly output: string;
  /** Shape of the state; it starts as zeros. */
  readonly shape: readonly number[];
  /** Default `'float32'`. */
  readonly dtype?: Exclude<DType, 'string' | 'bool'>;
}

/** Options of {@link AudioStream}. */
export interface AudioStreamOptions {
  /** New samples per model run (Silero VAD v5 at 16 kHz: 512). */
  readonly chunkSize: number;
  /** Samples of the audio before each chunk prepended to it (Silero VAD v5: 64); zeros before the first. Default 0. */
  readonly context?: number;
  /** The model input that receives the audio as float32 `[1, context + chunkSize]`. Default `'input'`. */
  readonly input?: string;
  readonly state: readonly StateBinding[];
  /** Further feeds passed unchanged on every run (e.g. Silero's `sr`). The stream does not dispose them. */
  readonly constants?: Readonly<Record<string, Tensor>>;
}

/** The result of one chunk. */
export interface ChunkResult {
  /** 0 for the first chunk of the stream. */
  readonly index: number;
  /** Sample offset of the chunk's first new sample from the start of the stream. */
  readonly start: number;
  /** The model's outputs without the state outputs (the caller owns these). */
  readonly outputs: Outputs;
}

/** Cuts pushed audio into chunks and runs a stateful model over them. */
export class AudioStream implements Disposable {
  readonly #model: StreamModel;
  readonly #chunkSize: number;
  readonly #context: number;
  readonly #input: string;
  readonly #bindings: readonly StateBinding[];
  readonly #constants: Readonly<Record<string, Tensor>>;
  #states = new Map<string, Tensor>();
  readonly #audio: FrameBuffer;
  #index = 0;
  #consumed = 0;
  readonly #queue = new SerialQueue();
  #disposed = false;

  /** @throws InprocError `INPUT_INVALID` for bad options (chunk size, context, state bindings, a constant that is not a tensor) */
  constructor(model: StreamModel, options: AudioStreamOptions) {
    if (typeof model !== 'object' || model === null || typeof model.run !== 'function') throw new InprocError('INPUT_INVALID', 'AudioStream: model must have a run() method');
    if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'AudioStream: options must be an object');
    const { chunkSize, context = 0, input = 'input', state, constants = {} } = options;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InprocError('INPUT_INVALID', `AudioStream: chunkSize must be a positive integer, got ${String(chunkSize)}`);
    if (!Number.isInteger(context) || context < 0) throw new InprocError('INPUT_INVALID', `AudioStream: context must be a non-negative integer, got ${String(context)}`);
    if (!Array.isArray(state)) throw new InprocError('INPUT_INVALID', 'AudioStream: state must be an array of { input, output, shape }');
    for (const b of state as readonly StateBinding[]) {
      if (typeof b.input !== 'string' || typeof b.output !== 'string' || !Array.isArray(b.shape) || !b.shape.every((d: number) => Number.isInteger(d) && d >= 0)) {
        throw new InprocError('INPUT_INVALID', 'AudioStream: each state binding needs input, output and a shape of non-negative integers');
      }
    }
    for (const [name, t] of Object.entries(constants)) if (!(t instanceof Tensor)) throw new InprocError('INPUT_INVALID', `AudioStream: constant "${name}" must be a Tensor`);
    this.#model = model;
    this.#chunkSize = chunkSize;
    this.#context = context;
    this.#input = input;
    this.#bindings = state;
    this.#constants = constants;
    this.#audio = new FrameBuffer(1, context + chunkSize * 8);
    this.#audio.reset(context, 0);
    this.#resetStates();
  }

  /** Samples pushed but not yet run (fewer than one chunk). */
  get buffered(): number {
    return this.#audio.length - this.#audio.next - this.#context;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Appends samples and runs the model on every complete chunk, in order. Calls are
   * serialised: a second push waits for the first.
   * @throws InprocError `DISPOSED` after dispose(), `INPUT_INVALID` for samples that are not a Float32Array, and what the model throws
   */
  push(samples: Float32Array, options: { readonly signal?: AbortSignal } = {}): Promise<ChunkResult[]> {
    if (!(samples instanceof Float32Array)) return Promise.reject(new InprocError('INPUT_INVALID', 'AudioStream.push: samples must be a Float32Array'));
    return this.#serialise(async () => {
      this.#audio.appendSamples(samples, 0);
      const results: ChunkResult[] = [];
      while (this.buffered >= this.#chunkSize) results.push(await this.#runChunk(options.signal));
      return results;
    });
  }

  /**
   * Runs the buffered remainder, padded with zeros to a full chunk (nothing when none is buffered).
   * @throws InprocError as {@link push}
   */
  flush(options: { readonly signal?: AbortSignal } = {}): Promise<ChunkResult[]> {
    return this.#serialise(async () => {
      const pending = this.buffered;
      if (pending === 0) return [];
      this.#audio.appendSamples(new Float32Array(this.#chunkSize - pending), 0);
      return [await this.#runChunk(options.signal)];
    });
  }

  /** Forgets buffered samples, context and state (disposing the state tensors), to start a new stream. */
  reset(): Promise<void> {
    return this.#serialise(() => {
      this.#audio.reset(this.#context, 0);
      this.#index = 0;
      this.#consumed = 0;
      this.#resetStates();
      return Promise.resolve();
    });
  }

  /** Disposes the state tensors; safe to call twice. A push in flight finishes first. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.#queue.settled.finally(() => {
      for (const t of this.#states.values()) t.dispose();
      this.#states.clear();
    });
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #serialise<T>(task: () => Promise<T>): Promise<T> {
    if (this.#disposed) return Promise.reject(new InprocError('DISPOSED', 'AudioStream was used after dispose()'));
    return this.#queue.run(task);
  }

  #resetStates(): void {
    for (const t of this.#states.values()) t.dispose();
    this.#states = new Map(
      this.#bindings.map((b) => {
        const size = b.shape.reduce((a, d) => a * d, 1);
        // A plain array of zeros converts to any numeric dtype's storage.
        return [b.input, new Tensor(b.dtype ?? 'float32', new Array<number>(size).fill(0), b.shape)];
      }),
    );
  }

  /** Runs the window at the buffer's `next` (context + one chunk), then moves on by a chunk. */
  async #runChunk(signal: AbortSignal | undefined): Promise<ChunkResult> {
    const buffer = this.#audio;
    const audio = buffer.data.subarray(buffer.next, buffer.next + this.#context + this.#chunkSize);
    buffer.next += this.#chunkSize;
    const feeds: Record<string, Tensor> = { ...this.#constants, [this.#input]: new Tensor('float32', audio, [1, audio.length]) };
    for (const [name, t] of this.#states) feeds[name] = t;
    const outputs = await this.#model.run(feeds, signal === undefined ? undefined : { signal });
    const rest: Record<string, Tensor> = { ...outputs };
    for (const b of this.#bindings) {
      const next = outputs[b.output];
      if (next === undefined) throw new InprocError('RUN_FAILED', `AudioStream: the model returned no state output "${b.output}"; it returned ${Object.keys(outputs).join(', ')}`);
      this.#states.get(b.input)?.dispose();
      this.#states.set(b.input, next);
      delete rest[b.output];
    }
    const result: ChunkResult = { index: this.#index++, start: this.#consumed, outputs: rest };
    this.#consumed += this.#chunkSize;
    return result;
  }
}
