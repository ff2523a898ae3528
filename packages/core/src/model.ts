/**
 * The public `Model` interface and the options of `loadModel` and `Model.run`.
 * @module
 */
import type { DeviceChoiceOptions, ModelFormat } from './backend.js';
import type { ModelStats } from './metrics/stats.js';
import type { Processor } from './processing/processor.js';
import type { Feeds, Outputs, Signature } from './signature.js';

/** Options of dynamic batching (`LoadOptions.batching`). */
export interface BatchingOptions {
  /** Most rows (sum of the requests' first dimensions) in one backend run. */
  readonly maxBatchSize: number;
  /** How long the first waiting request may wait for others to join it. */
  readonly maxDelayMs: number;
  /** Batch sizes the model runs best at: a batch that reaches one of them leaves at once, and larger batches are cut to one. */
  readonly preferredSizes?: readonly number[];
  /** Treat dimension 0 as the batch dimension even if the signature does not say so (e.g. unknown ranks). */
  readonly declared?: boolean;
}

/** Limits applied to each worker (Node's `resourceLimits`), in MiB. */
export interface WorkerResourceLimits {
  readonly maxOldGenerationSizeMb?: number;
  readonly maxYoungGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

/** Options of `loadModel`. Every field is optional; the defaults give a plain in-process session. */
export interface LoadOptions<I = Feeds, O = Outputs> {
  /** `'auto'` (default): the first available backend, by priority, that loads the format. Or a name, or names in order of preference. */
  readonly backend?: string | readonly string[];
  /**
   * `'auto'` (default): a static order, accelerators whose libraries are present, else the
   * CPU (CUDA → CPU). `'gpu'`: a real accelerator or `DEVICE_UNAVAILABLE` (never a software
   * adapter). `'fastest'`: each usable device is timed on the warm-up feeds and the fastest
   * kept (the CPU unless another wins clearly); the decision is cached (`deviceChoice`).
   * Or a device by name: `'cpu'`, `'cuda'`, `'webgpu'`, `'wasm'`, ...
   */
  readonly device?: string;
  /**
   * Sizes of dynamic dimensions for the inputs Inproc synthesizes (warm-up and `'fastest'`
   * timing): symbolic ones by name (`{ batch: 32, seq: 128 }`), any one, named or not, as
   * `input[axis]` (`{ 'input[1]': 512 }`, like the CLI's `--dim`). Others are 1
   * (`warmup.dynamicSize`). An `input[axis]` naming no input or a fixed axis is `INPUT_INVALID`.
   */
  readonly dims?: Readonly<Record<string, number>>;
  /** How `device: 'fastest'` measures and where it caches its decision. */
  readonly deviceChoice?: DeviceChoiceOptions;
  /** Sniffed from the bytes and file name when absent. */
  readonly format?: ModelFormat;
  /** Steps from the caller's input to the model's feeds. */
  readonly preprocess?: Processor<I, Feeds> | readonly Processor[];
  /** Steps from the model's outputs to the caller's result. */
  readonly postprocess?: Processor<Outputs, O> | readonly Processor[];
  /**
   * Run the model before it is returned, so the first real call pays no initialisation:
   * `true` once, a number that many times, on zero inputs whose symbolic dimensions are 1;
   * or {@link WarmupOptions}: random data, other sizes, or feeds of your own (for models
   * that reject tiny inputs). Warm-up runs count in `stats()` like other calls.
   */
  readonly warmup?: boolean | number | WarmupOptions;
  /** Aborts the load (reading, parsing, warm-up) with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Bytes of the model file read so far. */
  readonly onProgress?: (p: { loaded: number; total?: number }) => void;
  /** Passed to the backend untouched, e.g. ORT `SessionOptions`. */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /** Requests that may wait for a free slot; further calls reject with `QUEUE_FULL`. Default: unbounded (`Infinity`). */
  readonly maxQueue?: number;
  /** Runs in flight at once for this model. Default: what the backend session allows (1 for onnxruntime). */
  readonly concurrency?: number;
  /**
   * Dynamic batching: calls that arrive within `maxDelayMs` of the first waiting one are
   * concatenated along dimension 0 (up to `maxBatchSize` rows), run once, and split back.
   * Needs inputs and outputs that share a leading batch dimension. Default: off.
   */
  readonly batching?: false | BatchingOptions;
  /** Response cache: identical inputs are answered from memory, within `maxBytes`. Default: off. */
  readonly cache?: false | { readonly maxBytes: number };
  /** The name under which the model's metrics are reported. Default: the file name. */
  readonly name?: string;
  /**
   * `'worker'` runs the model in a pool of workers (worker_threads in Node, Web Workers
   * in browsers: see `configureIsolation`), so inference never blocks the caller's
   * event loop; `'none'` (default) runs it in this thread.
   */
  readonly isolation?: 'none' | 'worker';
  /** Size of the worker pool with `isolation: 'worker'` (each worker holds its own session). Default 1. */
  readonly workers?: number;
  /** Heap limits of each isolation worker; a worker that exceeds them is replaced (`WORKER_CRASHED` for its call). */
  readonly workerResourceLimits?: WorkerResourceLimits;
}

/**
 * Warm-up runs of the model itself (its processors are skipped: warm-up feeds are the
 * model's own inputs). Synthesized inputs unless `feeds` are given.
 */
export interface WarmupOptions {
  /** Runs; default 1. With a list of feeds, runs cycle through it. */
  readonly runs?: number;
  /**
   * Feeds for the model itself, a list of them, or a function of the signature that
   * makes them, at once or asynchronously (called once per run, e.g. `randomFeeds`; a tool
   * that reads its inputs from files knows their shapes only from the signature). Default:
   * synthesized `data`. `device: 'fastest'` times devices on these (the first of a list).
   */
  readonly feeds?: Feeds | readonly Feeds[] | ((signature: Signature) => Feeds | Promise<Feeds>);
  /** Synthesized inputs: `'zeros'` (default) or `'random'` (seeded; floats in [0, 1), integers 0 or 1, bools). */
  readonly data?: 'zeros' | 'random';
  /** Seed of `'random'`; default 1, so warm-up is reproducible. */
  readonly seed?: number;
  /** Size given to symbolic and dynamic dimensions of synthesized inputs; default 1. */
  readonly dynamicSize?: number;
}

/** Options of one `Model.run` call. */
export interface RunOptions {
  /** Aborts the call with `ABORTED`; a queued call leaves the queue without running. */
  readonly signal?: AbortSignal;
  /** Rejects with `TIMEOUT` after this many milliseconds (queue time included). */
  readonly timeoutMs?: number;
  /** Higher runs first among queued calls; default 0. */
  readonly priority?: number;
  /** Compute only these outputs (names from `signature.outputs`). */
  readonly outputs?: readonly string[];
}

/** A loaded model. Dispose it (or declare it with `await using`) to free its native memory. */
export interface Model<I = Feeds, O = Outputs> extends AsyncDisposable {
  readonly signature: Signature;
  /** The backend that loaded the model, e.g. `onnx-node`. */
  readonly backend: string;
  /** The device actually used, e.g. `cpu` after a fallback from `auto`. */
  readonly device: string;
  /** The model's format. */
  readonly format: ModelFormat;
  /** Where the model came from (path, URL or a description of the bytes). */
  readonly source: string;
  /** Facts the backend reports about the model (producer, opset, ...). */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly disposed: boolean;
  /** The model's name in metrics. */
  readonly name: string;
  /** Bytes of native memory the model's session(s) hold, as the backend reports them (what caches budget). */
  readonly bytes: number;
  /** Requests waiting for a slot, and running. */
  readonly pending: { readonly queued: number; readonly running: number };
  /** Requests, failures by code, stage durations (p50/p90/p99), batch sizes, cache hits. */
  stats(): ModelStats;
  run(input: I, options?: RunOptions): Promise<O>;
  /** Idempotent. Refuses new calls at once, lets accepted ones finish, then frees native memory. */
  dispose(): Promise<void>;
}
