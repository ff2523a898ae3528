/**
 * The plugin interface a backend implements. Backends depend on `@inproc/core` and
 * register themselves with {@link registerBackend}; core never imports a backend.
 * @module
 */
import type { Feeds, Signature } from './signature.js';
import type { Tensor } from './tensor.js';

/** Model file formats. */
export type ModelFormat = 'onnx' | 'tfjs-graph' | 'tfjs-layers';

/** Every model format, in a stable order. */
export const MODEL_FORMATS: readonly ModelFormat[] = ['onnx', 'tfjs-graph', 'tfjs-layers'];

/** A model as handed to a backend: its format, its bytes and where it came from. */
export interface ModelSource {
  readonly format: ModelFormat;
  /** Path, URL or a description such as `<Uint8Array 1234 bytes>`, for messages. */
  readonly name: string;
  /** The model file: the ONNX protobuf, or a TF.js `model.json`. Empty for a backend that {@link Backend.takes} URLs. */
  readonly bytes: Uint8Array;
  /** Absolute file-system path of the model file, when it was loaded from disk. */
  readonly path?: string;
  /** URL of the model file, when it was fetched. */
  readonly url?: URL;
  /**
   * Reads a file that sits beside the model (TF.js weight shards, ONNX external data).
   * Present when the model came from a path or URL. Rejects with `MODEL_NOT_FOUND`.
   */
  readonly readSibling?: (relativePath: string, signal?: AbortSignal) => Promise<Uint8Array>;
  /**
   * Checks that a file named by the model (ONNX external data) lies inside the model's
   * directory (real paths compared, links followed) and is a regular file; returns its
   * absolute path. Present when the model came from a file path. Rejects with
   * `MODEL_INVALID` (outside, not a regular file) or `MODEL_NOT_FOUND`.
   */
  readonly resolveSibling?: (relativePath: string) => Promise<string>;
}

/** How `'fastest'` measures and where it keeps its decisions (`LoadOptions.deviceChoice`). */
export interface DeviceChoiceOptions {
  /**
   * Directory of the decision files; `false` measures on every load. Default: `inproc/`
   * under `$XDG_CACHE_HOME` or `~/.cache` (Node only; browsers always measure).
   */
  readonly cache?: false | string;
  /** Time spent timing one device, in ms, after its first run; default 1000. */
  readonly budgetMs?: number;
  /**
   * A device other than the first (the CPU) is chosen only if its median is below this
   * fraction of the first one's; default 0.8. Ties and noise favour the CPU.
   */
  readonly margin?: number;
}

/**
 * What a model loaded with `device: 'fastest'` says in `model.metadata` about the choice:
 * `const { deviceTimings } = model.metadata as Partial<DeviceChoiceMetadata>`.
 */
export interface DeviceChoiceMetadata {
  /** Median ms of one run on the timing inputs, per device that loaded and ran. */
  readonly deviceTimings: Readonly<Record<string, number>>;
  /** Per device that could not load or run on them: the first line of its error. */
  readonly deviceErrors: Readonly<Record<string, string>>;
  /** `measured` on this load, or read from the decision `cache`. */
  readonly deviceChoice: 'measured' | 'cache';
}

/** What `loadModel` passes to {@link Backend.load}. */
export interface BackendLoadOptions {
  /** `'auto'` or a device the backend listed in {@link Backend.devices}. */
  readonly device: string;
  /** `LoadOptions.backendOptions`, passed through untouched. */
  readonly backendOptions: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { loaded: number; total?: number }) => void;
  /** For `device: 'fastest'` (see `chooseDevice`): `warmup.feeds`, `dims` and `deviceChoice` of the load. */
  readonly feeds?: Feeds | ((signature: Signature) => Feeds | Promise<Feeds>);
  readonly dims?: Readonly<Record<string, number>>;
  readonly deviceChoice?: DeviceChoiceOptions;
}

/** What `Model.run` passes to {@link BackendSession.run} (after validation). */
export interface BackendRunOptions {
  /** Names of the outputs to compute; never empty, all known to the signature. */
  readonly outputs: readonly string[];
  readonly signal?: AbortSignal;
}

/**
 * A backend run in two halves (see {@link BackendSession.split}), so that the outputs are
 * made inside the caller's one continuation rather than in a promise layer of their own:
 * on a model that runs in tens of microseconds, each layer is a measurable share of a call.
 * `start(feeds, o).then((r) => outputs(r, o), (e) => { throw error(e); })` must behave as
 * `run(feeds, o)`.
 */
export interface SplitRun {
  /** Starts a run on validated feeds; resolves with the runtime's own result. May throw. */
  start(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<unknown>;
  /** The runtime's result as exactly the requested outputs, as core tensors; throws an `InprocError`. */
  outputs(result: unknown, options: BackendRunOptions): Record<string, Tensor>;
  /** What `run()` rejects with for this failure of `start()` (an `InprocError`). */
  error(error: unknown): unknown;
}

/** A loaded model inside one backend. Owned by exactly one `Model`. */
export interface BackendSession {
  readonly signature: Signature;
  /** The device the session really runs on (after any fallback). */
  readonly device: string;
  /** Bytes of native memory the session holds (weights), for `resources()` and caches. */
  readonly bytes: number;
  /** How many `run()` calls may be in flight at once; 1 when the session must not be entered concurrently. */
  readonly concurrency: number;
  /** The model's format when the backend learnt it itself (a remote backend, from the server); else the source's. */
  readonly format?: ModelFormat;
  /** Free-form facts about the model (producer, opset, ...), shown by `inproc info`. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Feeds are validated against `signature`. Returns exactly the requested outputs as core tensors. */
  run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>>;
  /** Optional: {@link run} in two halves, which `Model.run` uses on its fast path. */
  readonly split?: SplitRun;
  /** Frees native memory. Called once, after every run has settled. */
  dispose(): Promise<void>;
}

/** An execution backend. */
export interface Backend {
  /** Unique name, e.g. `onnx-node`. */
  readonly name: string;
  /** Higher is tried first under `backend: 'auto'`. */
  readonly priority: number;
  readonly formats: readonly ModelFormat[];
  /** Devices this backend can use, e.g. `['cpu', 'cuda']`. `'auto'` is always accepted. */
  readonly devices: readonly string[];
  /**
   * The `backendOptions` keys a repository manifest (untrusted data) may set: those that name
   * no file, code or network location (thread counts, optimisation levels, provider names).
   * Other keys in a manifest are refused unless the repository owner allows them
   * (`openRepository(root, { manifestBackendOptions })`). None when absent.
   */
  readonly manifestOptions?: readonly string[];
  /**
   * How the backend takes a model. `'bytes'` (default): `loadModel` reads the source and
   * hands over its bytes. `'url'`: the backend reaches the model itself at `source.url`
   * (a model server), so `loadModel` reads nothing; it is used when `LoadOptions.backend`
   * names only such backends.
   */
  readonly takes?: 'bytes' | 'url';
  /**
   * Whether the backend can be used here (its peer package installed, its runtime
   * initialised). Called once, lazily, the first time the backend is a candidate;
   * may throw an `InprocError` whose message says what to install.
   */
  isAvailable(): boolean | Promise<boolean>;
  /**
   * Creates a session. Throws `DEVICE_UNAVAILABLE` when the device cannot be used,
   * `MODEL_INVALID` when the model cannot be parsed.
   */
  load(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession>;
}
