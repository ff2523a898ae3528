/**
 * The public types of the model repository: options, version policies, manifests,
 * leases, cache statistics, events and KServe v2 style metadata. The implementation is
 * in `repository.ts` (lookup, hot swap, pins), `repository-options.ts`, `version-scan.ts`
 * (completeness, fingerprints), `version-loader.ts` (loading, warm-up), `version-cache.ts`
 * (budget, LRU, leases), `manifest.ts` (the `inproc.json` schema) and
 * `repository-storage.ts` (file system, URL).
 * @module
 */
import type { InprocError } from '../errors.js';
import type { ModelFormat } from '../backend.js';
import type { ModelStats } from '../metrics/stats.js';
import type { LoadOptions, Model, RunOptions, WarmupOptions } from '../model.js';
import type { ProcessorSpec } from '../processing/processor-registry.js';
import type { Feeds, Outputs, Signature } from '../signature.js';

/**
 * Which versions of a model are served (as in Triton and OpenVINO Model Server):
 * the `latest` N by number, `all`, or `specific` numbers. Default `{ latest: 1 }`.
 */
export type VersionPolicy = { readonly latest: number } | { readonly all: true } | { readonly specific: readonly number[] };

/**
 * Warm-up settings, in `inproc.json` (`"warmup"`) or {@link RepositoryOptions.warmup}:
 * `loadModel`'s {@link WarmupOptions} as data, with feeds read from sample files.
 */
export interface WarmupSpec extends Omit<WarmupOptions, 'feeds'> {
  /**
   * Inputs read from files in the version directory, by input name: `.npy` (NumPy
   * format 1–3, little-endian, C order) or `.json` (`{ "dtype", "shape", "data" }`, or
   * `{ "dtype", "shape", "file" }` naming a raw little-endian file). One set, or several
   * (runs cycle through them). Excludes `data`.
   */
  readonly samples?: Readonly<Record<string, string>> | readonly Readonly<Record<string, string>>[];
}

/** Dynamic batching settings of a manifest, passed to `loadModel` as `batching` (see `BatchingOptions`). */
export interface BatchingSpec {
  readonly maxBatchSize: number;
  readonly maxDelayMs: number;
  readonly preferredSizes?: readonly number[];
  /** Treat dimension 0 as the batch dimension even if the signature does not say so. */
  readonly declared?: boolean;
}

/**
 * A version's manifest, `<root>/<name>/<version>/inproc.json`, after validation. Every
 * field is optional; a version without a manifest serves `model.onnx` (or `model.json`).
 * A manifest is data only: processors are named and created from the processor registry.
 */
export interface Manifest {
  /** JSON Schema reference, ignored. */
  readonly $schema?: string;
  /** Free text for people. */
  readonly description?: string;
  /** The model file, relative to the version directory. Default: `model.onnx`, else `model.json`. */
  readonly model?: string;
  readonly format?: ModelFormat;
  /** Preferred backends, in order (`LoadOptions.backend`). */
  readonly backend?: string | readonly string[];
  /** Preferred device (`LoadOptions.device`). */
  readonly device?: string;
  readonly preprocess?: readonly ProcessorSpec[];
  readonly postprocess?: readonly ProcessorSpec[];
  /** A labels file in the version directory: one label per line, or a JSON array of strings. */
  readonly labels?: string;
  readonly batching?: false | BatchingSpec;
  readonly concurrency?: number;
  readonly maxQueue?: number;
  readonly warmup?: false | WarmupSpec;
  /** Passed to the backend (`LoadOptions.backendOptions`). */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /** Free-form JSON for the application; returned by `metadata()` as `parameters`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Load options a repository applies to the models it loads (they override the manifest). */
export type RepositoryLoadOptions = Pick<LoadOptions, 'backend' | 'device' | 'backendOptions' | 'concurrency' | 'maxQueue' | 'batching' | 'cache' | 'isolation' | 'workers' | 'workerResourceLimits'>;

/** Per-model settings of a repository. */
export interface RepositoryModelOptions {
  readonly versionPolicy?: VersionPolicy;
  readonly load?: RepositoryLoadOptions;
  readonly warmup?: false | number | WarmupSpec;
}

/** Options of {@link openRepository}. Defaults in brackets. */
export interface RepositoryOptions {
  /** Versions served of each model [`{ latest: 1 }`]. */
  readonly versionPolicy?: VersionPolicy;
  /** Per-model overrides, by model name. */
  readonly models?: Readonly<Record<string, RepositoryModelOptions>>;
  /** Load options for every model; they override the manifests' preferences. */
  readonly load?: RepositoryLoadOptions;
  /** Warm-up for versions whose manifest has none [none]; a manifest's own `warmup` wins. */
  readonly warmup?: false | number | WarmupSpec;
  /** Byte budget of loaded models: model file sizes plus the bytes their backend sessions report [unlimited]. */
  readonly maxBytes?: number;
  /** Most models loaded at once [unlimited]. */
  readonly maxModels?: number;
  /**
   * When the budget can only be met by evicting models that callers hold: `true` loads
   * anyway and evicts as soon as leases are released; `false` rejects with `LIMIT_EXCEEDED` [true].
   */
  readonly overcommit?: boolean;
  /** Unload a model nobody has held for this long [never]. */
  readonly idleTimeoutMs?: number;
  /**
   * Pick up new and removed versions automatically (Node only: `fs.watch` on the root,
   * the model directories and incomplete version directories, debounced) [false].
   */
  readonly watch?: boolean | { readonly debounceMs?: number };
  /**
   * Completeness rule. Unset [default]: a version directory counts once it holds its
   * model file, so publish versions by atomic rename (write `<name>/.staging-3/`, then
   * rename it to `<name>/3`). Set, e.g. `'READY'`: a version counts only once this file
   * exists in it, so files may be copied in place and the marker written last.
   */
  readonly readyMarker?: string;
  /** Unknown manifest keys are rejected with `MODEL_INVALID` instead of reported as warnings [false]. */
  readonly strictManifests?: boolean;
  /**
   * `backendOptions` keys that manifests may set beyond the ones each backend declares safe
   * (`Backend.manifestOptions`), for repositories whose manifests you trust, e.g.
   * `['optimizedModelFilePath']`. By default a manifest cannot make a runtime read or write a
   * file, load code or reach the network.
   */
  readonly manifestBackendOptions?: readonly string[];
  /** Name of the index file of a URL repository [`repository.json`]. */
  readonly indexFile?: string;
}

/** Options of {@link Repository.get}. */
export interface GetOptions {
  /** A specific version; default the model's current one (pinned, else the newest served). */
  readonly version?: number | string;
}

/** Options of {@link Repository.run}: a version and the run's own options. */
export interface RepositoryRunOptions extends RunOptions, GetOptions {}

/**
 * A loaded model version held by a caller. While any lease on a version is unreleased
 * the cache never disposes it. `release()` (or `dispose()`, or the end of an
 * `await using` / `using` scope) gives it back; a released lease refuses new calls with `DISPOSED`.
 */
export interface ModelLease<I = Feeds, O = Outputs> extends Model<I, O>, Disposable {
  /** Model name in the repository (the model's metrics are reported as `name@version`). */
  readonly name: string;
  readonly version: number;
  /** The version's labels file, when its manifest names one. */
  readonly labels: readonly string[] | undefined;
  /** The version's validated manifest (empty when it has none). */
  readonly manifest: Manifest;
  /** Idempotent. Does not wait for calls in flight: the cache does, before it disposes the model. */
  release(): void;
}

/** Counters and sizes of the repository's model cache. */
export interface CacheStats {
  /** `get`s served by a loaded model or by a load already in progress. */
  readonly hits: number;
  /** `get`s that started a load. */
  readonly misses: number;
  /** Loads that succeeded (warm-up included). */
  readonly loads: number;
  readonly loadFailures: number;
  /** Models unloaded to meet the byte budget or the count limit. */
  readonly evictions: number;
  /** Models unloaded for any reason (eviction, idle, retired by a swap, close). */
  readonly unloads: number;
  /** Bytes of loaded models, plus the file size of models being loaded. */
  readonly bytes: number;
  readonly maxBytes: number;
  /** Models loaded or loading. */
  readonly models: number;
  readonly maxModels: number;
  /** Models with at least one unreleased lease. */
  readonly held: number;
  /** Each cached model, least recently used first. */
  readonly entries: readonly CacheEntryStats[];
}

/** One cached model version. */
export interface CacheEntryStats {
  readonly name: string;
  readonly version: number;
  readonly state: 'loading' | 'ready';
  readonly bytes: number;
  /** Unreleased leases. */
  readonly refs: number;
}

/**
 * What a repository knows of one model version, in no wire format: `@inproc/kserve/protocol`'s
 * `modelMetadata()` turns it into the Open Inference Protocol's model metadata, as `inproc serve` answers it.
 */
export interface ModelDescription {
  readonly name: string;
  /** The version described. */
  readonly version: number;
  /** Served versions, ascending. */
  readonly versions: readonly number[];
  readonly format: ModelFormat;
  readonly signature: Signature;
  /** The manifest's description. */
  readonly description?: string;
  /** The manifest's free-form metadata. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** One served model version, as in the Triton / KServe repository index extension. */
export interface RepositoryIndexEntry {
  readonly name: string;
  readonly version: string;
  /** `READY`: loaded; `LOADING`; `UNAVAILABLE`: not loaded now (`reason` says why). */
  readonly state: 'READY' | 'LOADING' | 'UNAVAILABLE';
  readonly reason: string;
  /**
   * Set when the version failed to load with its present files: it stays failed (`get`
   * throws this error again without loading) until its files change and a scan sees
   * them (`refresh()`, `watch`), or {@link Repository.load} is called.
   */
  readonly failure?: InprocError;
}

/** What {@link Repository.status} says of one version. */
export interface RepositoryVersionStatus extends RepositoryIndexEntry {
  /** The model's metrics while the version is loaded (`READY`); undefined otherwise. */
  readonly stats: ModelStats | undefined;
}

/** Versions of one model. */
export interface ModelVersions {
  readonly name: string;
  /** Complete versions present in the repository, ascending. */
  readonly available: readonly number[];
  /** Those the version policy serves (plus a pinned one), ascending. */
  readonly served: readonly number[];
  /** What `get(name)` returns now; undefined when no version is served. */
  readonly current: number | undefined;
  readonly pinned: number | undefined;
}

/** Why a model left the cache. */
export type UnloadReason = 'evicted' | 'idle' | 'retired' | 'closed';

/** Events of a repository, for logs and metrics. */
export type RepositoryEvent =
  | { readonly type: 'load'; readonly name: string; readonly version: number; readonly bytes: number; readonly loadMs: number; readonly warmupMs: number; readonly warmupRuns: number }
  | { readonly type: 'unload'; readonly name: string; readonly version: number; readonly reason: UnloadReason }
  | { readonly type: 'evict'; readonly name: string; readonly version: number; readonly bytes: number; readonly reason: 'bytes' | 'count' }
  | { readonly type: 'swap'; readonly name: string; readonly from: number | undefined; readonly to: number | undefined; readonly reason: 'refresh' | 'rollback' | 'unpin' }
  | { readonly type: 'error'; readonly name: string | undefined; readonly version: number | undefined; readonly phase: 'load' | 'refresh' | 'watch' | 'listener'; readonly error: InprocError }
  | { readonly type: 'warning'; readonly name: string; readonly version: number; readonly message: string };

/** The event types. */
export type RepositoryEventType = RepositoryEvent['type'];

/** A listener of one event type. */
export type RepositoryListener<T extends RepositoryEventType = RepositoryEventType> = (event: Extract<RepositoryEvent, { type: T }>) => void;

/** A repository of versioned models with a cache, hot swap and rollback. See {@link openRepository}. */
export interface Repository extends AsyncDisposable {
  /** The root, as a path or URL. */
  readonly root: string;
  /**
   * A lease on a model version, loading (and warming up) it when it is not cached.
   * Concurrent `get`s of one version share one load.
   * @throws InprocError `MODEL_NOT_FOUND`, `VERSION_NOT_FOUND`, `PATH_OUTSIDE_REPOSITORY`, `MODEL_INVALID`, `LIMIT_EXCEEDED`, `DISPOSED`, and the errors of `loadModel`
   */
  get<I = Feeds, O = Outputs>(name: string, options?: GetOptions): Promise<ModelLease<I, O>>;
  /**
   * A lease on a model version for the length of `work`: released when what `work`
   * returns settles (or it throws), so it can never be forgotten. Such a lease is not
   * watched for a missing `release()`, which makes it cheaper than `get()` when taken once
   * per request (as `inproc serve` does). The errors of {@link Repository.get}, and `work`'s.
   */
  withLease<T, I = Feeds, O = Outputs>(name: string, work: (lease: ModelLease<I, O>) => T | PromiseLike<T>, options?: GetOptions): Promise<Awaited<T>>;
  /** Gets, runs once, releases: each call goes to the version current when it starts. */
  run<I = Feeds, O = Outputs>(name: string, input: I, options?: RepositoryRunOptions): Promise<O>;
  /** Model names, sorted. */
  models(): readonly string[];
  versions(name: string): ModelVersions;
  /** Every served version of every model, with its state. */
  list(): readonly RepositoryIndexEntry[];
  /** What the repository knows of a version (default: the current one): versions, format, signature, manifest description and metadata; loads it if its signature is not known yet. */
  metadata(name: string, version?: number | string): Promise<ModelDescription>;
  /**
   * Rescans the root. A new current version is loaded and warmed up before new calls
   * go to it; one that fails is not swapped in (an `error` event says why). Resolves
   * when the scan and any swaps are done.
   */
  refresh(): Promise<void>;
  /**
   * An explicit load, as Triton's repository extension asks for one: forgets a recorded
   * load failure of the version (default: the current one), loads and warms it up when it
   * is not cached, and resolves with the version. A failure is recorded again.
   * @throws InprocError as {@link Repository.get}
   */
  load(name: string, options?: GetOptions): Promise<number>;
  /**
   * One version's entry of {@link Repository.list} (default: the current version), with its
   * metrics while it is loaded. The version is checked as `get` checks it (canonical
   * numbers only: `01`, `1.0`, `0x1` are refused); nothing is loaded.
   * @throws InprocError `MODEL_NOT_FOUND`, `VERSION_NOT_FOUND`, `PATH_OUTSIDE_REPOSITORY`, `INPUT_INVALID`
   */
  status(name: string, version?: number | string): RepositoryVersionStatus;
  /** Pins a version (any complete one, also outside the policy): it is loaded and warmed up first, then `get(name)` returns it. */
  rollback(name: string, version: number | string): Promise<void>;
  /** Removes the pin; `get(name)` returns the newest served version again. */
  unpin(name: string): Promise<void>;
  stats(): CacheStats;
  /** Subscribes to one event type, or all with `'*'`; returns the unsubscribe function. */
  on<T extends RepositoryEventType>(type: T, listener: RepositoryListener<T>): () => void;
  on(type: '*', listener: (event: RepositoryEvent) => void): () => void;
  /** Stops watching, refuses new `get`s, and disposes every model (waiting for calls in flight). Idempotent. */
  close(): Promise<void>;
}
