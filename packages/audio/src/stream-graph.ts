/**
 * A graph of models run continuously over a stream: audio arrives in chunks of any
 * size, each stage keeps a rolling window over its input frames (the audio samples, or
 * the output frames of the stage it reads from) and runs its model every `stride` new
 * frames on the last `window` frames. A trunk computed once feeds any number of heads
 * (openWakeWord: audio -> melspectrogram -> embedding -> one head per wake word).
 *
 * Why it is shaped so:
 * - State lives in preallocated rolling buffers (compacted in place, grown only when a
 *   push brings more steps than ever before): nothing is allocated per frame.
 * - When one push completes several steps of a stage allowed to batch (`maxBatch`), the
 *   steps run as one batch (a 10 s chunk: one embedding run, not 125); a single step
 *   feeds a view of the rolling buffer, without a copy.
 * - Stages reading from the same stage (the heads) run concurrently; each stage's steps
 *   stay in order. Results do not depend on how the audio was cut into chunks.
 * - `push()` calls are serialised and their promise is the back-pressure: await it
 *   before pushing more, or set `maxBuffered` to have pushes beyond it rejected.
 * @module
 */
import { type Feeds, InprocError, type Outputs, type Signature, Tensor } from '@inproc/core';
import { SerialQueue } from './serial-queue.js';

/** A model as the graph needs it: `run()` and its signature (a `Model` is one). */
export interface GraphModel {
  readonly signature: Signature;
  run(feeds: Feeds, options?: { readonly signal?: AbortSignal }): Promise<Outputs>;
  dispose?(): Promise<void> | void;
}

/** One model of the graph and the window it reads. */
export interface GraphStage {
  /** Unique; names the stage in results and errors. `'input'` is the audio. */
  readonly name: string;
  readonly model: GraphModel;
  /** The stage whose output frames this one reads; default the stage before it (`'input'`, the audio, for the first). */
  readonly from?: string;
  /** Input frames per run (a frame is one audio sample, or one output frame of `from`). */
  readonly window: number;
  /** New input frames between runs. Default 1. */
  readonly stride?: number;
  /**
   * Frames of `history.value` (default 0) standing in the window before the stream's first
   * frame, at most `window - stride` so that every run sees `stride` new frames (the
   * melspectrogram's 480 samples of context). Default none: the first run waits for a full window.
   */
  readonly history?: { readonly frames: number; readonly value?: number };
  /** Values per output frame; default the last dimension of the model's output. */
  readonly frameWidth?: number;
  /** Input / output names; default the model's only (first) ones. */
  readonly input?: string;
  readonly output?: string;
  /** Applied in place to each run's output values before anyone reads them (openWakeWord's melspectrogram: `x / 10 + 2`). */
  readonly transform?: (values: Float32Array) => void;
  /** Report this stage's outputs in `push()` results. Default: stages no other stage reads from. */
  readonly emit?: boolean;
  /**
   * Most steps run as one batch, for a model with a free batch dimension whose batch rows
   * are independent (openWakeWord's embedding model). Default 1: not every model's rows
   * are (openWakeWord's melspectrogram clamps to 80 dB below the loudest value of the
   * whole input tensor, so a batch gives other values than its rows one by one).
   */
  readonly maxBatch?: number;
}

/** Options of {@link StreamGraph}. */
export interface StreamGraphOptions {
  readonly stages: readonly GraphStage[];
  /** Dispose every model (each once) when the graph is disposed. Default `true`. */
  readonly ownModels?: boolean;
  /** Samples accepted but not yet processed beyond which `push()` rejects with `QUEUE_FULL`. Default unbounded. */
  readonly maxBuffered?: number;
}

/** One step of an emitting stage. */
export interface GraphResult {
  readonly stage: string;
  /** 0 for the stage's first run since the start (or `reset()`). */
  readonly step: number;
  /** Input samples seen when this step's window was complete: the step's time is `end / sampleRate`. */
  readonly end: number;
  /** This run's output values (`frames * frameWidth`), owned by the caller. */
  readonly values: Float32Array;
}

/**
 * A rolling buffer of frames: appended at the end, read as windows from `next`, compacted
 * in place. The windowing of every stage here and of `AudioStream`. @internal
 */
export class FrameBuffer {
  data: Float32Array;
  ends: Float64Array;
  /** Frames held. */
  length = 0;
  /** Index of the first frame of the next window. */
  next = 0;

  constructor(
    readonly width: number,
    capacity: number,
  ) {
    this.data = new Float32Array(capacity * width);
    this.ends = new Float64Array(capacity);
  }

  reset(history: number, value: number): void {
    this.length = history;
    this.next = 0;
    this.data.fill(value, 0, history * this.width);
    this.ends.fill(0, 0, history);
  }

  /** Room for `frames` more, made by dropping frames before `next` (and growing only if that is not enough). */
  reserve(frames: number): void {
    if (this.length + frames <= this.ends.length) return;
    const keep = this.length - this.next;
    if (keep + frames > this.ends.length) {
      const capacity = Math.max(keep + frames, this.ends.length * 2);
      const data = new Float32Array(capacity * this.width);
      const ends = new Float64Array(capacity);
      data.set(this.data.subarray(this.next * this.width, this.length * this.width));
      ends.set(this.ends.subarray(this.next, this.length));
      this.data = data;
      this.ends = ends;
    } else {
      this.data.copyWithin(0, this.next * this.width, this.length * this.width);
      this.ends.copyWithin(0, this.next, this.length);
    }
    this.length = keep;
    this.next = 0;
  }

  /** Appends frames that all became known at input position `end`. */
  append(values: Float32Array, end: number): void {
    const frames = values.length / this.width;
    this.reserve(frames);
    this.data.set(values, this.length * this.width);
    this.ends.fill(end, this.length, this.length + frames);
    this.length += frames;
  }

  /** Appends audio samples (width 1) that follow the first `before` samples of the stream. */
  appendSamples(samples: Float32Array, before: number): void {
    this.reserve(samples.length);
    this.data.set(samples, this.length);
    const ends = this.ends;
    for (let i = 0, at = this.length; i < samples.length; i++) ends[at + i] = before + i + 1;
    this.length += samples.length;
  }
}

/** A stage made ready to run: its shapes resolved against the model's signature. @internal */
interface Node {
  readonly spec: GraphStage;
  readonly name: string;
  readonly from: string;
  readonly window: number;
  readonly stride: number;
  readonly history: number;
  readonly historyValue: number;
  readonly input: string;
  readonly output: string;
  readonly width: number;
  readonly batchable: boolean;
  readonly maxBatch: number;
  /** The input shape for a batch of `n`. */
  readonly shape: (n: number) => number[];
  readonly buffer: FrameBuffer;
  readonly children: Node[];
  emit: boolean;
  /** Scratch for batched windows and for output end positions, grown on demand. */
  batch: Float32Array;
  outEnds: Float64Array;
  step: number;
  /** Output frames per run, known after the first run. */
  framesPerRun: number;
}

const INPUT = 'input';

/**
 * Runs a graph of models over audio pushed in chunks of any size.
 *
 * ```ts
 * const graph = new StreamGraph({ stages: [
 *   { name: 'mel', model: mel, window: 1760, stride: 1280, history: { frames: 480 }, transform: (v) => { for (let i = 0; i < v.length; i++) v[i] = v[i]! / 10 + 2; } },
 *   { name: 'embedding', model: embedding, window: 76, stride: 8, history: { frames: 76, value: 1 } },
 *   { name: 'hey_jarvis', from: 'embedding', model: jarvis, window: 16 },
 *   { name: 'alexa', from: 'embedding', model: alexa, window: 16 },
 * ] });
 * for (const r of await graph.push(samples)) console.log(r.stage, r.end / 16000, r.values[0]);
 * await graph.dispose();
 * ```
 */
export class StreamGraph implements AsyncDisposable {
  readonly #nodes: Node[];
  readonly #roots: Node[];
  readonly #models: GraphModel[];
  readonly #ownModels: boolean;
  readonly #maxBuffered: number;
  #samples = 0;
  #queued = 0;
  readonly #queue = new SerialQueue();
  #disposed = false;
  #disposing: Promise<void> | undefined;

  /** @throws InprocError `INPUT_INVALID` for bad options: unknown or repeated stage names, windows that do not fit a model's input shape, non-float32 inputs */
  constructor(options: StreamGraphOptions) {
    if (typeof options !== 'object' || options === null || !Array.isArray(options.stages) || options.stages.length === 0) {
      throw new InprocError('INPUT_INVALID', 'StreamGraph: options.stages must be a non-empty array of stages');
    }
    const { maxBuffered = Infinity, ownModels = true } = options;
    if (!(maxBuffered > 0)) throw new InprocError('INPUT_INVALID', `StreamGraph: maxBuffered must be a positive number of samples, got ${String(maxBuffered)}`);
    this.#maxBuffered = maxBuffered;
    this.#ownModels = ownModels;
    const byName = new Map<string, Node>();
    this.#nodes = [];
    this.#roots = [];
    let previous = INPUT;
    for (const spec of options.stages as readonly GraphStage[]) {
      const node = makeNode(spec, spec.from ?? previous, byName);
      byName.set(node.name, node);
      this.#nodes.push(node);
      previous = node.name;
    }
    for (const node of this.#nodes) {
      if (node.from === INPUT) this.#roots.push(node);
      else byName.get(node.from)!.children.push(node);
    }
    for (const node of this.#nodes) node.emit = node.spec.emit ?? node.children.length === 0;
    this.#models = [...new Set(this.#nodes.map((n) => n.spec.model))];
    this.#resetState();
  }

  /** The stages' names, in order. */
  get stages(): string[] {
    return this.#nodes.map((n) => n.name);
  }

  /** Samples pushed since the start (or `reset()`) whose processing has started. */
  get samples(): number {
    return this.#samples;
  }

  /** Samples accepted by `push()` calls that have not finished yet. */
  get buffered(): number {
    return this.#queued;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Appends audio (one channel, at the rate the first stage expects) and runs every step
   * it completes, stage by stage; resolves with the emitting stages' results in stage
   * order, each stage's steps in time order. Calls are serialised.
   *
   * A stage that fails rejects the push with an `InprocError` (its own code, or
   * `RUN_FAILED`) whose message names the stage; the other stages' steps still run,
   * and every stage has advanced past the audio of this push all the same, so the next
   * push goes on from there. The failed stage's remaining steps in this push give no
   * result, and the stages reading from it get no frames for them (a failed head costs
   * its own scores only; a failed trunk leaves a gap in its heads' windows).
   * @throws InprocError `DISPOSED` after dispose(), `INPUT_INVALID` for samples that are not a Float32Array, `QUEUE_FULL` beyond `maxBuffered`
   */
  push(samples: Float32Array, options: { readonly signal?: AbortSignal } = {}): Promise<GraphResult[]> {
    if (!(samples instanceof Float32Array)) return Promise.reject(new InprocError('INPUT_INVALID', 'StreamGraph.push: samples must be a Float32Array'));
    if (this.#queued + samples.length > this.#maxBuffered && this.#queued > 0) {
      return Promise.reject(new InprocError('QUEUE_FULL', `StreamGraph.push: ${this.#queued} samples are still being processed and maxBuffered is ${this.#maxBuffered}; await earlier pushes before pushing ${samples.length} more`));
    }
    this.#queued += samples.length;
    return this.#serialise(async () => {
      try {
        return await this.#process(samples, options.signal);
      } finally {
        this.#queued -= samples.length;
      }
    });
  }

  /** Forgets every window and step count, to start a new stream; waits for pushes in flight. */
  reset(): Promise<void> {
    return this.#serialise(() => {
      this.#resetState();
      return Promise.resolve();
    });
  }

  /** Waits for pushes in flight, then disposes each model once (unless `ownModels: false`). Safe to call twice. */
  dispose(): Promise<void> {
    if (this.#disposing !== undefined) return this.#disposing;
    this.#disposed = true;
    this.#disposing = this.#queue.settled.then(async () => {
      if (!this.#ownModels) return;
      const settled = await Promise.allSettled(this.#models.map(async (m) => m.dispose?.()));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    });
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #serialise<T>(task: () => Promise<T>): Promise<T> {
    if (this.#disposed) return Promise.reject(new InprocError('DISPOSED', 'StreamGraph was used after dispose()'));
    return this.#queue.run(task);
  }

  #resetState(): void {
    this.#samples = 0;
    for (const node of this.#nodes) {
      node.buffer.reset(node.history, node.historyValue);
      node.step = 0;
    }
  }

  async #process(samples: Float32Array, signal: AbortSignal | undefined): Promise<GraphResult[]> {
    const before = this.#samples;
    this.#samples = before + samples.length;
    for (const root of this.#roots) root.buffer.appendSamples(samples, before);
    const results = new Map<Node, GraphResult[]>();
    const errors: unknown[] = [];
    await Promise.all(this.#roots.map((root) => runNode(root, signal, results, errors)));
    if (errors.length > 0) throw errors[0];
    return this.#nodes.flatMap((n) => results.get(n) ?? []);
  }
}

function makeNode(spec: GraphStage, from: string, known: ReadonlyMap<string, Node>): Node {
  if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || spec.name === '') throw new InprocError('INPUT_INVALID', 'StreamGraph: every stage needs a name');
  const name = spec.name;
  if (name === INPUT || known.has(name)) throw new InprocError('INPUT_INVALID', `StreamGraph: stage name "${name}" is ${name === INPUT ? 'reserved for the audio' : 'used twice'}`);
  const model = spec.model as GraphModel | undefined;
  if (typeof model !== 'object' || model === null || typeof model.run !== 'function' || typeof model.signature !== 'object') throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": model must be a Model (run() and signature)`);
  const parent = from === INPUT ? undefined : known.get(from);
  if (from !== INPUT && parent === undefined) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}" reads from "${from}", which is not a stage before it (stages: ${[...known.keys()].join(', ') || 'none'})`);
  const { window, stride = 1, maxBatch = 1 } = spec;
  const historyFrames = spec.history?.frames ?? 0;
  for (const [what, v, min] of [['window', window, 1], ['stride', stride, 1], ['maxBatch', maxBatch, 1], ['history.frames', historyFrames, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": ${what} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (historyFrames > window - stride) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": history.frames (${historyFrames}) must be at most window - stride (${window - stride}), so that every run sees new frames`);
  const inputInfo = spec.input === undefined ? model.signature.inputs[0] : model.signature.inputs.find((i) => i.name === spec.input);
  const outputInfo = spec.output === undefined ? model.signature.outputs[0] : model.signature.outputs.find((o) => o.name === spec.output);
  if (inputInfo === undefined || outputInfo === undefined) {
    throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": the model has no ${inputInfo === undefined ? `input ${spec.input ?? ''}` : `output ${spec.output ?? ''}`} (inputs: ${model.signature.inputs.map((i) => i.name).join(', ')}; outputs: ${model.signature.outputs.map((o) => o.name).join(', ')})`);
  }
  if (model.signature.inputs.length > 1) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": the model has ${model.signature.inputs.length} inputs; a stage feeds one`);
  if (inputInfo.dtype !== 'float32' || outputInfo.dtype !== 'float32') throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": input and output must be float32, got ${inputInfo.dtype} and ${outputInfo.dtype}`);
  const lastOut = outputInfo.shape.at(-1);
  const width = spec.frameWidth ?? (typeof lastOut === 'number' ? lastOut : undefined);
  if (width === undefined || !Number.isInteger(width) || width < 1) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": frameWidth must be given (a positive integer): the output's last dimension is not fixed`);
  const inWidth = parent === undefined ? 1 : parent.width;
  const values = window * inWidth;
  // The input shape: dimension 0 is the batch when the model leaves it free; one other free dimension takes what the fixed ones leave.
  const dims = inputInfo.shape;
  const batchable = dims.length > 1 && typeof dims[0] !== 'number';
  const rest = dims.slice(1);
  const fixed = rest.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const free = rest.filter((d) => typeof d !== 'number').length;
  const fits = free === 0 ? fixed === values : free === 1 && values % fixed === 0;
  if (dims.length < 2 || !fits || (!batchable && dims[0] !== 1)) {
    throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": a window of ${window} frames of ${inWidth} value${inWidth === 1 ? '' : 's'} (${values}) does not fit the input "${inputInfo.name}" of shape [${dims.map((d) => (typeof d === 'number' ? d : (d ?? '?'))).join(', ')}]`);
  }
  if (maxBatch > 1 && !batchable) throw new InprocError('INPUT_INVALID', `StreamGraph: stage "${name}": maxBatch is ${maxBatch}, but the input "${inputInfo.name}" has a fixed batch dimension ${String(dims[0])}`);
  const restShape = rest.map((d) => (typeof d === 'number' ? d : values / fixed));
  const capacity = window + stride * 8;
  return {
    spec,
    name,
    from,
    window,
    stride,
    history: historyFrames,
    historyValue: spec.history?.value ?? 0,
    input: inputInfo.name,
    output: outputInfo.name,
    width,
    batchable,
    maxBatch,
    shape: (n) => [n, ...restShape],
    buffer: new FrameBuffer(inWidth, capacity),
    children: [],
    emit: false,
    batch: new Float32Array(0),
    outEnds: new Float64Array(0),
    step: 0,
    framesPerRun: 0,
  };
}

/** Runs every step of `node` its buffer holds, feeds its children, then runs them (concurrently with each other). */
async function runNode(node: Node, signal: AbortSignal | undefined, results: Map<Node, GraphResult[]>, errors: unknown[]): Promise<void> {
  const buf = node.buffer;
  const inW = buf.width;
  let failed = false;
  for (;;) {
    const available = buf.length - buf.next;
    if (available < node.window) break;
    const steps = Math.min(node.maxBatch, Math.floor((available - node.window) / node.stride) + 1);
    let input: Float32Array;
    if (steps === 1) {
      input = buf.data.subarray(buf.next * inW, (buf.next + node.window) * inW);
    } else {
      const rowSize = node.window * inW;
      if (node.batch.length < steps * rowSize) node.batch = new Float32Array(steps * rowSize);
      for (let s = 0; s < steps; s++) {
        const from = (buf.next + s * node.stride) * inW;
        node.batch.set(buf.data.subarray(from, from + rowSize), s * rowSize);
      }
      input = node.batch.subarray(0, steps * rowSize);
    }
    // The time of each step: the end position of the last frame of its window.
    if (node.outEnds.length < steps) node.outEnds = new Float64Array(Math.max(steps, node.outEnds.length * 2));
    for (let s = 0; s < steps; s++) node.outEnds[s] = buf.ends[buf.next + s * node.stride + node.window - 1]!;
    buf.next += steps * node.stride;
    const firstStep = node.step;
    node.step += steps;
    if (failed) continue; // advance past this push's audio without running: the stage already failed in it
    let values: Float32Array;
    try {
      const outputs = await node.spec.model.run({ [node.input]: new Tensor('float32', input, node.shape(steps)) }, signal === undefined ? undefined : { signal });
      values = outputValues(node, outputs, steps);
    } catch (error) {
      failed = true;
      errors.push(stageError(node.name, error));
      continue;
    }
    node.spec.transform?.(values);
    if (node.emit) {
      const list = results.get(node) ?? [];
      results.set(node, list);
      const row = values.length / steps;
      for (let s = 0; s < steps; s++) list.push({ stage: node.name, step: firstStep + s, end: node.outEnds[s]!, values: values.slice(s * row, (s + 1) * row) });
    }
    for (const child of node.children) {
      const perStep = node.framesPerRun;
      child.buffer.reserve(perStep * steps);
      for (let s = 0; s < steps; s++) child.buffer.append(values.subarray(s * perStep * node.width, (s + 1) * perStep * node.width), node.outEnds[s]!);
    }
  }
  await Promise.all(node.children.map((child) => runNode(child, signal, results, errors)));
}

function outputValues(node: Node, outputs: Outputs, steps: number): Float32Array {
  const out = outputs[node.output];
  if (out === undefined || !(out.data instanceof Float32Array)) throw new InprocError('RUN_FAILED', `the model returned no float32 output "${node.output}"`);
  const row = out.data.length / steps;
  const frames = row / node.width;
  if (!Number.isInteger(frames) || frames < 1) throw new InprocError('RUN_FAILED', `output "${node.output}" holds ${out.data.length} values for ${steps} step(s), not whole frames of ${node.width}`);
  if (node.framesPerRun === 0) node.framesPerRun = frames;
  else if (node.framesPerRun !== frames) throw new InprocError('RUN_FAILED', `output "${node.output}" gave ${frames} frames per run after ${node.framesPerRun} before`);
  return out.data;
}

function stageError(stage: string, error: unknown): InprocError {
  const message = error instanceof Error ? error.message : String(error);
  const code = InprocError.is(error) ? error.code : 'RUN_FAILED';
  return new InprocError(code, `stage "${stage}": ${message}`, { cause: error });
}
