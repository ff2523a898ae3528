/**
 * `openRepository`: versioned models under `<root>/<name>/<version>/`, as Triton and
 * OpenVINO Model Server lay them out, served in process. Scans decide which versions
 * exist and which one is current; `get` leases a version from the cache (loading and
 * warming it up first); a scan that finds a newer version loads and warms it up before
 * swapping new calls to it, and leaves the old one to finish its calls and be retired.
 * @module
 */
import { InprocError, messageOf } from '../errors.js';
import { loadModel } from '../load-model.js';
import { type DirectoryProbe, findModelFile, probeModelFile } from '../model-file.js';
import { MANIFEST_FILE, parseLabels, parseManifest, validateWarmup } from './manifest.js';
import type { LoadOptions, Model } from '../model.js';
import { ModelCache, type Reserve } from './version-cache.js';
import { Lease, type LoadedVersion } from './version-lease.js';
import type { Processor } from '../processing/processor.js';
import { createProcessor } from '../processing/processor-registry.js';
import { kserveModelMetadata } from './kserve-metadata.js';
import { RepositoryEvents } from './repository-events.js';
import { checkModelName, checkRelativeFile, checkVersion } from './repository-path.js';
import { openStorage, type RepositoryStorage, type StorageWatcher } from './repository-storage.js';
import type {
  CacheStats,
  GetOptions,
  KServeModelMetadata,
  Manifest,
  ModelLease,
  ModelVersions,
  Repository,
  RepositoryEvent,
  RepositoryEventType,
  RepositoryIndexEntry,
  RepositoryListener,
  RepositoryLoadOptions,
  RepositoryModelOptions,
  RepositoryOptions,
  RepositoryRunOptions,
  VersionPolicy,
  WarmupSpec,
} from './repository-types.js';
import { isNpy, parseJsonSample, parseNpy } from '../sample-file.js';
import type { Feeds, Outputs, Signature } from '../signature.js';
import { describe, type Tensor } from '../tensor.js';
import { DEFAULT_VERSION_POLICY, checkVersionPolicy, describePolicy, servedVersions } from './version-policy.js';
import type { ModelImpl } from '../model-impl.js';
import { warmUp } from '../warmup.js';

const DEFAULT_DEBOUNCE_MS = 200;
const OPTION_KEYS = ['versionPolicy', 'models', 'load', 'warmup', 'maxBytes', 'maxModels', 'overcommit', 'idleTimeoutMs', 'watch', 'readyMarker', 'strictManifests', 'indexFile'];

/**
 * Opens a model repository: a directory (path or `file:` URL, Node) or an `http(s):`
 * URL with an index file (browsers, or Node). Scans it once; models load on first `get`.
 *
 * ```ts
 * await using repo = await openRepository('models', { maxBytes: 512 << 20, watch: true });
 * const y = await repo.run('tenant-a', { x });          // current version, leased per call
 * await using model = await repo.get('tenant-b', { version: 3 });
 * ```
 * @throws InprocError `MODEL_NOT_FOUND` (no such root or index), `INPUT_INVALID` (bad options), `MODEL_INVALID` (bad index)
 */
export async function openRepository(root: string | URL, options: RepositoryOptions = {}): Promise<Repository> {
  const settings = checkOptions(options);
  const storage = await openStorage(root, { indexFile: settings.indexFile });
  const repository = new RepositoryImpl(storage, settings);
  try {
    await repository.refresh();
    if (settings.watch !== undefined) repository.startWatching(settings.watch);
  } catch (error) {
    await repository.close();
    throw error;
  }
  return repository;
}

interface Settings {
  readonly policy: VersionPolicy;
  readonly models: Readonly<Record<string, { readonly policy: VersionPolicy | undefined; readonly load: RepositoryLoadOptions | undefined; readonly warmup: false | WarmupSpec | undefined }>>;
  readonly load: RepositoryLoadOptions;
  readonly warmup: false | WarmupSpec | undefined;
  readonly maxBytes: number;
  readonly maxModels: number;
  readonly overcommit: boolean;
  readonly idleTimeoutMs: number | undefined;
  readonly watch: number | undefined;
  readonly readyMarker: string | undefined;
  readonly strictManifests: boolean;
  readonly indexFile: string;
}

/** A complete version directory, as last scanned. */
interface VersionState {
  readonly version: number;
  /** Escapes the root (symlink): listed in errors, never served. */
  readonly rejected?: InprocError;
  /** Changes when the version's files change; a failed version is retried only then. */
  readonly fingerprint: string;
}

interface ModelState {
  readonly name: string;
  /** The model directory escapes the root. */
  readonly rejected?: InprocError;
  readonly versions: ReadonlyMap<number, VersionState>;
  /** Complete, not rejected, ascending. */
  readonly available: readonly number[];
  /** Version directories that are not complete yet (watched for their marker or model file). */
  readonly incomplete: readonly number[];
  served: readonly number[];
  current: number | undefined;
  pinned: number | undefined;
}

/** What is remembered of a version once loaded: enough for metadata() without reloading. */
interface VersionFacts {
  readonly signature: Signature;
  readonly format: Model['format'];
  readonly manifest: Manifest;
}

class RepositoryImpl implements Repository {
  readonly #storage: RepositoryStorage;
  readonly #settings: Settings;
  readonly #events = new RepositoryEvents();
  readonly #cache: ModelCache<LoadedVersion>;
  #models = new Map<string, ModelState>();
  /** Versions that failed to load during a scan, by `name@version`, with the fingerprint they failed with. */
  readonly #failed = new Map<string, { readonly fingerprint: string; readonly error: InprocError }>();
  readonly #facts = new Map<string, VersionFacts>();
  /** Scans, swaps, rollbacks and unpins run one at a time, in order. */
  #serial: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #watcher: StorageWatcher | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: RepositoryStorage, settings: Settings) {
    this.#storage = storage;
    this.#settings = settings;
    this.#cache = new ModelCache<LoadedVersion>(
      { maxBytes: settings.maxBytes, maxModels: settings.maxModels, overcommit: settings.overcommit, idleTimeoutMs: settings.idleTimeoutMs },
      {
        onLoad: (name, version, value) => this.#emit({ type: 'load', name, version, bytes: value.bytes, loadMs: value.loadMs, warmupMs: value.warmupMs, warmupRuns: value.warmupRuns }),
        onEvict: (name, version, bytes, reason) => this.#emit({ type: 'evict', name, version, bytes, reason }),
        onUnload: (name, version, reason) => this.#emit({ type: 'unload', name, version, reason }),
        onError: (name, version, error) => this.#emit({ type: 'error', name, version, phase: 'load', error: asInprocError(error, `disposing ${name}@${version} failed`) }),
      },
    );
  }

  get root(): string {
    return this.#storage.root;
  }

  #emit(event: RepositoryEvent): void {
    this.#events.emit(event);
  }

  on<T extends RepositoryEventType>(type: T | '*', listener: RepositoryListener<T> | ((event: RepositoryEvent) => void)): () => void {
    if (type !== '*' && !['load', 'unload', 'evict', 'swap', 'error', 'warning'].includes(type)) {
      throw new InprocError('INPUT_INVALID', `repository.on: unknown event type ${describe(type)}; expected load, unload, evict, swap, error, warning or '*'`);
    }
    return this.#events.on(type, listener as (event: RepositoryEvent) => void);
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new InprocError('DISPOSED', `the repository at ${this.root} was closed`);
  }

  // ---- lookup -------------------------------------------------------------------------

  #model(name: unknown): ModelState {
    checkModelName(name);
    const state = this.#models.get(name as string);
    if (state === undefined) {
      const known = [...this.#models.keys()];
      throw new InprocError('MODEL_NOT_FOUND', `no model "${String(name)}" in the repository at ${this.root}; it has ${known.length ? known.map((n) => `"${n}"`).join(', ') : 'no models'} (call refresh() after adding one)`, {
        details: { name, models: known },
      });
    }
    if (state.rejected !== undefined) throw state.rejected;
    return state;
  }

  /** The version a call asks for, checked against what is served. */
  #resolve(name: string, requested: number | string | undefined): { state: ModelState; version: number } {
    const state = this.#model(name);
    if (requested === undefined) {
      if (state.current === undefined) {
        throw new InprocError('VERSION_NOT_FOUND', `model "${name}" has no servable version; complete versions: ${list(state.available)}; version policy: ${describePolicy(this.#policy(name))}`, {
          details: { name, available: state.served },
        });
      }
      return { state, version: state.current };
    }
    const version = checkVersion(requested);
    const rejected = state.versions.get(version)?.rejected;
    if (rejected !== undefined) throw rejected;
    if (!state.served.includes(version)) {
      const onDisk = state.available.includes(version) ? ` (it exists but the version policy, ${describePolicy(this.#policy(name))}, does not serve it; rollback() can pin it)` : '';
      throw new InprocError('VERSION_NOT_FOUND', `model "${name}" has no version ${version}${onDisk}; available versions: ${list(state.served)}`, {
        details: { name, version, available: state.served },
      });
    }
    return { state, version };
  }

  #policy(name: string): VersionPolicy {
    return this.#settings.models[name]?.policy ?? this.#settings.policy;
  }

  async get<I = Feeds, O = Outputs>(name: string, options: GetOptions = {}): Promise<ModelLease<I, O>> {
    this.#checkOpen();
    if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `get options must be an object, got ${describe(options)}`);
    const { version } = this.#resolve(name, options.version);
    return this.#acquire<I, O>(name, version);
  }

  async #acquire<I, O>(name: string, version: number): Promise<ModelLease<I, O>> {
    const lease = await this.#cache.acquire(name, version, (reserve) => this.#load(name, version, reserve));
    return new Lease<I, O>(lease);
  }

  async run<I = Feeds, O = Outputs>(name: string, input: I, options?: RepositoryRunOptions): Promise<O> {
    const { version, ...runOptions } = options ?? {};
    const lease = await this.get<I, O>(name, version === undefined ? {} : { version });
    try {
      // No options at all keeps Model.run on its fast path.
      return await lease.run(input, options === undefined || Object.keys(runOptions).length === 0 ? undefined : runOptions);
    } finally {
      lease.release();
    }
  }

  // ---- loading ------------------------------------------------------------------------

  async #manifest(name: string, version: number): Promise<Manifest> {
    const bytes = await this.#storage.read(name, version, MANIFEST_FILE, MANIFEST_FILE);
    if (bytes === undefined) return {};
    const { manifest, warnings } = parseManifest(bytes, `${name}/${version}/${MANIFEST_FILE}`, this.#settings.strictManifests);
    for (const message of warnings) this.#emit({ type: 'warning', name, version, message });
    return manifest;
  }

  async #modelFile(name: string, version: number, manifest: Manifest): Promise<string> {
    if (manifest.model !== undefined) return manifest.model;
    return findModelFile(this.#directory(name, version, 'model'), `${name}/${version}`).catch((error: unknown) => {
      throw InprocError.is(error, 'MODEL_NOT_FOUND') ? new InprocError('MODEL_NOT_FOUND', `${error.message}, and has no manifest naming its model file`, { details: { name, version, ...error.details } }) : error;
    });
  }

  /** A version directory, as the model-file rule looks into it. */
  #directory(name: string, version: number, field: string | undefined): DirectoryProbe {
    const storage = this.#storage;
    return {
      exists: (file) => storage.exists(name, version, file, field ?? file),
      ...(storage.list === undefined ? {} : { list: () => storage.list!(name, version) }),
    };
  }

  /** Loads, warms up and measures one version. Runs inside the cache's single shared load. */
  async #load(name: string, version: number, reserve: Reserve): Promise<LoadedVersion> {
    const where = `${name}/${version}`;
    try {
      const manifest = await this.#manifest(name, version);
      const file = await this.#modelFile(name, version, manifest);
      const located = await this.#storage.locate(name, version, file, 'model');
      if (located.size !== undefined) reserve(located.size);
      const labels = manifest.labels === undefined ? undefined : await this.#labels(name, version, manifest.labels);
      const warmup = this.#settings.models[name]?.warmup ?? manifest.warmup ?? this.#settings.warmup ?? false;
      const samples = warmup !== false && warmup.samples !== undefined ? await this.#samples(name, version, warmup.samples) : undefined;
      const preprocess = this.#processors(where, 'preprocess', manifest.preprocess);
      const postprocess = this.#processors(where, 'postprocess', manifest.postprocess);
      const perModel = this.#settings.models[name]?.load ?? {};
      let fileBytes = located.size ?? 0;
      const loadOptions: LoadOptions<unknown, unknown> = {
        ...pick(manifest),
        name: `${name}@${version}`,
        ...this.#settings.load,
        ...perModel,
        ...(preprocess.length > 0 ? { preprocess } : {}),
        ...(postprocess.length > 0 ? { postprocess } : {}),
        onProgress: ({ loaded }) => {
          fileBytes = Math.max(fileBytes, loaded);
        },
      };
      const started = performance.now();
      let model: Model<unknown, unknown>;
      try {
        model = await loadModel<unknown, unknown>(located.source, loadOptions);
      } catch (error) {
        for (const processor of [...preprocess, ...postprocess]) await processor.dispose?.();
        throw error;
      }
      const loadMs = performance.now() - started;
      const warmed = performance.now();
      let runs = 0;
      try {
        if (warmup !== false) runs = await this.#warmUp(where, model, warmup, samples);
      } catch (error) {
        await model.dispose();
        throw error;
      }
      const warmupMs = performance.now() - warmed;
      const bytes = fileBytes + sessionBytes(model);
      this.#facts.set(`${name}@${version}`, { signature: model.signature, format: model.format, manifest });
      return { name, version, model, manifest, labels, bytes, loadMs, warmupMs, warmupRuns: runs, dispose: () => model.dispose() };
    } catch (error) {
      const failure = asInprocError(error, `loading ${where} failed`);
      this.#emit({ type: 'error', name, version, phase: 'load', error: failure });
      throw failure;
    }
  }

  async #labels(name: string, version: number, file: string): Promise<readonly string[]> {
    const bytes = await this.#storage.read(name, version, file, 'labels');
    if (bytes === undefined) throw new InprocError('MODEL_NOT_FOUND', `${name}/${version}: labels file "${file}" (manifest field "labels") not found`, { details: { name, version, field: 'labels' } });
    return parseLabels(bytes, `${name}/${version}/${file}`);
  }

  #processors(where: string, field: 'preprocess' | 'postprocess', specs: Manifest['preprocess']): Processor[] {
    return (specs ?? []).map((spec, i) => {
      try {
        return createProcessor(spec);
      } catch (error) {
        throw new InprocError('MODEL_INVALID', `${where}/${MANIFEST_FILE}: manifest field "${field}[${i}]": ${messageOf(error)}`, { cause: error, details: { field: `${field}[${i}]` } });
      }
    });
  }

  async #samples(name: string, version: number, samples: NonNullable<WarmupSpec['samples']>): Promise<Record<string, Tensor>[]> {
    const sets = Array.isArray(samples) ? (samples as readonly Readonly<Record<string, string>>[]) : [samples as Readonly<Record<string, string>>];
    const out: Record<string, Tensor>[] = [];
    for (const [i, set] of sets.entries()) {
      const feeds: Record<string, Tensor> = {};
      for (const [input, file] of Object.entries(set)) {
        const field = Array.isArray(samples) ? `warmup.samples[${i}].${input}` : `warmup.samples.${input}`;
        const where = `${name}/${version}/${file} (manifest field "${field}")`;
        const bytes = await this.#storage.read(name, version, file, field);
        if (bytes === undefined) throw new InprocError('MODEL_NOT_FOUND', `warm-up sample ${where} not found`, { details: { name, version, field } });
        feeds[input] = isNpy(bytes)
          ? parseNpy(bytes, where)
          : await parseJsonSample(bytes, where, async (raw) => {
              // A raw file named by a JSON sample sits beside it.
              const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
              checkRelativeFile(raw, `${field}.file`);
              const data = await this.#storage.read(name, version, dir + raw, `${field}.file`);
              if (data === undefined) throw new InprocError('MODEL_NOT_FOUND', `raw sample file ${name}/${version}/${dir + raw} not found`, { details: { field: `${field}.file` } });
              return data;
            });
      }
      out.push(feeds);
    }
    return out;
  }

  /** The version's warm-up, by the one warm-up loop; a sample set that does not fit makes the version invalid. */
  async #warmUp(where: string, model: Model<unknown, unknown>, spec: WarmupSpec, samples: Record<string, Tensor>[] | undefined): Promise<number> {
    const { samples: _files, ...options } = spec;
    try {
      return await warmUp(model as ModelImpl<unknown, unknown>, samples === undefined ? options : { ...options, feeds: samples }, where);
    } catch (error) {
      const set: unknown = InprocError.is(error) ? error.details?.['feedSet'] : undefined;
      if (!InprocError.is(error) || typeof set !== 'number') throw error;
      throw new InprocError('MODEL_INVALID', `${where}: warm-up sample set ${set} does not fit the model: ${messageOf(error.cause)}`, { cause: error, details: { field: 'warmup.samples' } });
    }
  }

  // ---- scanning, swapping, pinning ------------------------------------------------------

  /** Runs `task` after every earlier scan, swap, rollback and unpin. */
  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(task, task);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  async refresh(): Promise<void> {
    this.#checkOpen();
    return this.#serialize(() => this.#refresh());
  }

  async #refresh(): Promise<void> {
    const names = await this.#storage.listModels();
    const next = new Map<string, ModelState>();
    for (const name of names) next.set(name, await this.#scanModel(name));
    const previous = this.#models;
    for (const state of next.values()) {
      const old = previous.get(state.name);
      // A version whose files changed (fixed in place) may have another signature: forget what was learnt of it.
      for (const [version, now] of state.versions) if (old?.versions.get(version)?.fingerprint !== now.fingerprint) this.#facts.delete(`${state.name}@${version}`);
      state.pinned = old?.pinned !== undefined && state.available.includes(old.pinned) ? old.pinned : undefined;
      if (old?.pinned !== undefined && state.pinned === undefined) {
        this.#emit({ type: 'error', name: state.name, version: old.pinned, phase: 'refresh', error: new InprocError('VERSION_NOT_FOUND', `pinned version ${old.pinned} of "${state.name}" is gone; the pin was dropped`) });
      }
      state.served = this.#servedSet(state);
      // The old current version keeps serving until its replacement has loaded and warmed up.
      state.current = old?.current !== undefined && state.available.includes(old.current) ? old.current : undefined;
      if (state.current !== undefined && !state.served.includes(state.current)) state.served = sorted([...state.served, state.current]);
    }
    this.#models = next;
    for (const state of next.values()) await this.#settle(state, previous.get(state.name)?.current);
    // Versions no longer served (removed, out of the policy, swapped out) are retired: disposed once their calls finish.
    for (const [name, old] of previous) {
      for (const version of old.served) if (this.#models.get(name)?.served.includes(version) !== true) this.#cache.retire(name, version);
    }
    this.#watcher?.sync([...next.values()].flatMap((s) => [[s.name], ...s.incomplete.map((v) => [s.name, String(v)])]));
  }

  /** The newest version the policy serves that has not failed to load with its present files. */
  #newest(state: ModelState): number | undefined {
    const failedNow = (v: number): boolean => {
      const failure = this.#failed.get(`${state.name}@${v}`);
      return failure !== undefined && failure.fingerprint === state.versions.get(v)?.fingerprint;
    };
    return [...servedVersions(this.#policy(state.name), state.available)].reverse().find((v) => !failedNow(v));
  }

  /** The versions the policy serves, plus a pinned one. */
  #servedSet(state: ModelState): readonly number[] {
    const served = servedVersions(this.#policy(state.name), state.available);
    return state.pinned === undefined || served.includes(state.pinned) ? served : sorted([...served, state.pinned]);
  }

  async #scanModel(name: string): Promise<ModelState> {
    let entries;
    try {
      entries = await this.#storage.listVersions(name);
    } catch (error) {
      if (!InprocError.is(error, 'PATH_OUTSIDE_REPOSITORY')) throw error;
      return { name, rejected: error, versions: new Map(), available: [], incomplete: [], served: [], current: undefined, pinned: undefined };
    }
    const versions = new Map<number, VersionState>();
    const available: number[] = [];
    const incomplete: number[] = [];
    for (const entry of entries) {
      if (entry.rejected !== undefined) {
        versions.set(entry.version, { version: entry.version, rejected: entry.rejected, fingerprint: '' });
        continue;
      }
      const files = await this.#completeFiles(name, entry.version);
      if (files === undefined) {
        incomplete.push(entry.version);
        continue;
      }
      versions.set(entry.version, { version: entry.version, fingerprint: await this.#storage.fingerprint(name, entry.version, files) });
      available.push(entry.version);
    }
    const served = servedVersions(this.#policy(name), available);
    return { name, versions, available, incomplete, served, current: undefined, pinned: undefined };
  }

  /**
   * The completeness rule. With `readyMarker`, the marker file must exist. Without, the
   * model file must (the manifest's `model`, else as `model-file.ts` finds it): that
   * holds at once for a directory published by atomic rename. Returns the files whose
   * sizes and mtimes make the version's fingerprint, or undefined when incomplete.
   */
  async #completeFiles(name: string, version: number): Promise<string[] | undefined> {
    // A file that escapes the root counts as present: the version is then listed, and loading it says why it is refused.
    const exists = (file: string): Promise<boolean> => this.#storage.exists(name, version, file, file).catch((error: unknown) => InprocError.is(error, 'PATH_OUTSIDE_REPOSITORY'));
    const marker = this.#settings.readyMarker;
    if (marker !== undefined && !(await exists(marker))) return undefined;
    let named: string | undefined;
    try {
      const bytes = await this.#storage.read(name, version, MANIFEST_FILE, MANIFEST_FILE);
      if (bytes !== undefined) named = parseManifest(bytes, MANIFEST_FILE).manifest.model;
    } catch {
      // A broken manifest makes a complete but broken version: its load reports why.
      return [MANIFEST_FILE];
    }
    const file = named === undefined ? await probeModelFile({ ...this.#directory(name, version, undefined), exists }) : (await exists(named)) ? named : undefined;
    if (file !== undefined) return [MANIFEST_FILE, file, ...(marker === undefined ? [] : [marker])];
    return marker === undefined ? undefined : [MANIFEST_FILE, marker];
  }

  /**
   * Brings a model's current version to its target: the pinned version, else the newest
   * version the policy serves that has not failed with its present files. A change of
   * version is loaded and warmed up first; only then are new calls sent to it. When it
   * fails, the old version keeps serving (an `error` event went out from the load).
   */
  async #settle(state: ModelState, previous: number | undefined): Promise<void> {
    const target = state.pinned ?? this.#newest(state);
    if (target === state.current) return;
    if (state.current === undefined) {
      // Nothing is serving (a new model, or its current version was removed): no running
      // calls to protect, so point at the target and let the first get() load it.
      state.current = target;
      if (previous !== target) this.#emit({ type: 'swap', name: state.name, from: previous, to: target, reason: 'refresh' });
      return;
    }
    if (target === undefined) return;
    const from = state.current;
    try {
      const lease = await this.#acquire(state.name, target);
      lease.release();
    } catch (error) {
      this.#failed.set(`${state.name}@${target}`, { fingerprint: state.versions.get(target)?.fingerprint ?? '', error: asInprocError(error, 'load failed') });
      return;
    }
    this.#failed.delete(`${state.name}@${target}`);
    if (this.#models.get(state.name) !== state) return; // a newer scan replaced this state
    state.current = target;
    state.served = this.#servedSet(state);
    this.#emit({ type: 'swap', name: state.name, from, to: target, reason: 'refresh' });
  }

  async rollback(name: string, version: number | string): Promise<void> {
    this.#checkOpen();
    return this.#serialize(async () => {
      const state = this.#model(name);
      const v = checkVersion(version);
      const rejected = state.versions.get(v)?.rejected;
      if (rejected !== undefined) throw rejected;
      if (!state.available.includes(v)) {
        throw new InprocError('VERSION_NOT_FOUND', `cannot roll "${name}" back to version ${v}: it has versions ${list(state.available)}`, { details: { name, version: v, available: state.available } });
      }
      // Loaded and warmed up before the pin takes effect: a broken target is never served.
      const lease = await this.#acquire(name, v);
      lease.release();
      const current = this.#models.get(name) ?? state;
      const from = current.current;
      current.pinned = v;
      current.served = this.#servedSet(current);
      current.current = v;
      if (from !== v) {
        this.#emit({ type: 'swap', name, from, to: v, reason: 'rollback' });
        if (from !== undefined && !current.served.includes(from)) this.#cache.retire(name, from);
      }
    });
  }

  async unpin(name: string): Promise<void> {
    this.#checkOpen();
    return this.#serialize(async () => {
      const state = this.#model(name);
      const pinned = state.pinned;
      if (pinned === undefined) return;
      // The newest served version, as a scan would choose it (one that failed with its present files is skipped).
      const target = this.#newest(state);
      if (target !== undefined && target !== pinned) {
        const lease = await this.#acquire(name, target); // keeps the pin if the target cannot load
        lease.release();
      }
      state.pinned = undefined;
      state.served = this.#servedSet(state);
      state.current = target;
      if (target !== pinned) {
        this.#emit({ type: 'swap', name, from: pinned, to: target, reason: 'unpin' });
        if (!state.served.includes(pinned)) this.#cache.retire(name, pinned);
      }
    });
  }

  startWatching(debounceMs: number): void {
    if (this.#storage.watch === undefined) {
      throw new InprocError('INPUT_INVALID', `watch: true needs a file-system repository in Node; ${this.root} is a URL (call refresh() instead)`);
    }
    const onChange = (): void => {
      if (this.#closing !== undefined) return;
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        this.#debounce = undefined;
        if (this.#closing !== undefined) return;
        this.refresh().catch((error: unknown) => this.#emit({ type: 'error', name: undefined, version: undefined, phase: 'watch', error: asInprocError(error, 'refresh after a change failed') }));
      }, debounceMs);
      (this.#debounce as { unref?: () => void }).unref?.();
    };
    this.#watcher = this.#storage.watch(onChange, (error) => this.#emit({ type: 'error', name: undefined, version: undefined, phase: 'watch', error }));
    const states = [...this.#models.values()];
    this.#watcher.sync(states.flatMap((s) => [[s.name], ...s.incomplete.map((v) => [s.name, String(v)])]));
  }

  // ---- introspection ------------------------------------------------------------------

  models(): readonly string[] {
    return [...this.#models.keys()];
  }

  versions(name: string): ModelVersions {
    const state = this.#model(name);
    return { name, available: [...state.available], served: [...state.served], current: state.current, pinned: state.pinned };
  }

  list(): readonly RepositoryIndexEntry[] {
    const entries: RepositoryIndexEntry[] = [];
    for (const state of this.#models.values()) {
      if (state.rejected !== undefined) continue;
      for (const version of state.served) {
        const cached = this.#cache.peek(state.name, version);
        const failure = this.#failed.get(`${state.name}@${version}`);
        const reason = cached !== undefined ? '' : failure !== undefined ? `load failed: ${failure.error.message}` : 'not loaded (loads on first use)';
        entries.push({ name: state.name, version: String(version), state: cached === 'ready' ? 'READY' : cached === 'loading' ? 'LOADING' : 'UNAVAILABLE', reason });
      }
    }
    return entries;
  }

  async metadata(name: string, version?: number | string): Promise<KServeModelMetadata> {
    this.#checkOpen();
    const { state, version: v } = this.#resolve(name, version);
    let facts = this.#facts.get(`${name}@${v}`);
    if (facts === undefined) {
      const lease = await this.#acquire(name, v);
      lease.release();
      facts = this.#facts.get(`${name}@${v}`)!;
    }
    const parameters = { ...(facts.manifest.description === undefined ? {} : { description: facts.manifest.description }), ...(facts.manifest.metadata ?? {}) };
    return kserveModelMetadata({ name, versions: state.served, format: facts.format, signature: facts.signature, parameters: Object.keys(parameters).length > 0 ? parameters : undefined });
  }

  stats(): CacheStats {
    return this.#cache.stats();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#debounce);
      this.#watcher?.close();
      await this.#serial;
      await this.#cache.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The manifest's load preferences as `loadModel` options. */
function pick(manifest: Manifest): LoadOptions<unknown, unknown> {
  return {
    ...(manifest.format === undefined ? {} : { format: manifest.format }),
    ...(manifest.backend === undefined ? {} : { backend: manifest.backend }),
    ...(manifest.device === undefined ? {} : { device: manifest.device }),
    ...(manifest.backendOptions === undefined ? {} : { backendOptions: manifest.backendOptions }),
    ...(manifest.concurrency === undefined ? {} : { concurrency: manifest.concurrency }),
    ...(manifest.maxQueue === undefined ? {} : { maxQueue: manifest.maxQueue }),
    ...(manifest.batching === undefined ? {} : { batching: manifest.batching }),
  };
}

/** Bytes the backend reports for a model's session(s). */
function sessionBytes(model: Model<unknown, unknown>): number {
  return model.bytes;
}

function asInprocError(error: unknown, context: string): InprocError {
  return InprocError.is(error) ? error : new InprocError('RUN_FAILED', `${context}: ${messageOf(error)}`, { cause: error });
}

function sorted(versions: readonly number[]): number[] {
  return [...new Set(versions)].sort((a, b) => a - b);
}

function list(versions: readonly number[]): string {
  return versions.length === 0 ? 'none' : versions.join(', ');
}

// ---- options ------------------------------------------------------------------------------

function checkOptions(options: RepositoryOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `openRepository options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new InprocError('INPUT_INVALID', `openRepository: unknown option "${key}"; known: ${OPTION_KEYS.join(', ')}`);
  }
  const limit = (field: string, value: unknown, integer: boolean): number => {
    if (value === undefined) return Number.POSITIVE_INFINITY;
    const ok = typeof value === 'number' && value > 0 && (value === Number.POSITIVE_INFINITY || (integer ? Number.isSafeInteger(value) : Number.isFinite(value)));
    if (!ok) throw new InprocError('INPUT_INVALID', `options.${field} must be a positive ${integer ? 'integer' : 'number'}, got ${describe(value)}`);
    return value;
  };
  const maxBytes = limit('maxBytes', options.maxBytes, false);
  const maxModels = limit('maxModels', options.maxModels, true);
  let idleTimeoutMs: number | undefined;
  if (options.idleTimeoutMs !== undefined) {
    const v = options.idleTimeoutMs;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InprocError('INPUT_INVALID', `options.idleTimeoutMs must be a positive number of milliseconds, got ${describe(v)}`);
    idleTimeoutMs = v;
  }
  let watch: number | undefined;
  const w = options.watch as unknown;
  if (w === true) watch = DEFAULT_DEBOUNCE_MS;
  else if (typeof w === 'object' && w !== null) {
    const debounce = (w as { debounceMs?: unknown }).debounceMs ?? DEFAULT_DEBOUNCE_MS;
    if (typeof debounce !== 'number' || !Number.isFinite(debounce) || debounce < 0) throw new InprocError('INPUT_INVALID', `options.watch.debounceMs must be a non-negative number, got ${describe(debounce)}`);
    watch = debounce;
  } else if (w !== undefined && w !== false) throw new InprocError('INPUT_INVALID', `options.watch must be a boolean or { debounceMs }, got ${describe(w)}`);
  const flag = (field: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new InprocError('INPUT_INVALID', `options.${field} must be a boolean, got ${describe(value)}`);
    return value;
  };
  const fileOption = (field: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new InprocError('INPUT_INVALID', `options.${field} must be a file name, got ${describe(value)}`);
    try {
      checkRelativeFile(value, field);
    } catch (error) {
      throw new InprocError('INPUT_INVALID', `options.${field}: ${messageOf(error)}`, { cause: error });
    }
    return value;
  };
  const loadOf = (field: string, value: unknown): RepositoryLoadOptions | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null) throw new InprocError('INPUT_INVALID', `options.${field} must be an object, got ${describe(value)}`);
    const allowed = ['backend', 'device', 'backendOptions', 'concurrency', 'maxQueue', 'batching', 'cache', 'isolation', 'workers', 'workerResourceLimits'];
    for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new InprocError('INPUT_INVALID', `options.${field}: unknown option "${key}"; a repository passes ${allowed.join(', ')} to loadModel`);
    return value;
  };
  const warmupOf = (field: string, value: unknown): false | WarmupSpec | undefined => (value === undefined ? undefined : validateWarmup(value, `options.${field}`, 'INPUT_INVALID'));
  const models: Record<string, Settings['models'][string]> = {};
  if (options.models !== undefined) {
    if (typeof options.models !== 'object' || options.models === null) throw new InprocError('INPUT_INVALID', `options.models must be an object by model name, got ${describe(options.models)}`);
    for (const [name, raw] of Object.entries(options.models as Record<string, unknown>)) {
      checkModelName(name);
      if (typeof raw !== 'object' || raw === null) throw new InprocError('INPUT_INVALID', `options.models["${name}"] must be an object, got ${describe(raw)}`);
      const m = raw as RepositoryModelOptions;
      for (const key of Object.keys(m)) if (!['versionPolicy', 'load', 'warmup'].includes(key)) throw new InprocError('INPUT_INVALID', `options.models["${name}"]: unknown option "${key}"`);
      models[name] = {
        policy: m.versionPolicy === undefined ? undefined : checkVersionPolicy(m.versionPolicy, `options.models["${name}"].versionPolicy`),
        load: loadOf(`models["${name}"].load`, m.load),
        warmup: warmupOf(`models["${name}"].warmup`, m.warmup),
      };
    }
  }
  return {
    policy: options.versionPolicy === undefined ? DEFAULT_VERSION_POLICY : checkVersionPolicy(options.versionPolicy, 'options.versionPolicy'),
    models,
    load: loadOf('load', options.load) ?? {},
    warmup: warmupOf('warmup', options.warmup),
    maxBytes,
    maxModels,
    overcommit: flag('overcommit', options.overcommit, true),
    idleTimeoutMs,
    watch,
    readyMarker: fileOption('readyMarker', options.readyMarker),
    strictManifests: flag('strictManifests', options.strictManifests, false),
    indexFile: fileOption('indexFile', options.indexFile) ?? 'repository.json',
  };
}
