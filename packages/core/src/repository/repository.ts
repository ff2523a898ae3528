/**
 * `openRepository`: versioned models under `<root>/<name>/<version>/`, as Triton and
 * OpenVINO Model Server lay them out, served in process. Scans decide which versions
 * exist and which one is current; `get` leases a version from the cache (loading and
 * warming it up first); a scan that finds a newer version loads and warms it up before
 * swapping new calls to it, and leaves the old one to finish its calls and be retired.
 * This file is the coordinator (lookup, leases, swaps, pins, watching); options are
 * checked in `repository-options.ts`, versions scanned in `version-scan.ts`, loaded
 * and warmed up in `version-loader.ts`, cached in `version-cache.ts`.
 * @module
 */
import { InprocError, asInprocError } from '../errors.js';
import type { Model } from '../model.js';
import type { Feeds, Outputs, Signature } from '../signature.js';
import { describe } from '../tensor.js';
import type { Manifest } from './repository-types.js';
import { checkOptions, type Settings } from './repository-options.js';
import { RepositoryEvents } from './repository-events.js';
import { checkModelName, checkVersion } from './repository-path.js';
import { openStorage, type RepositoryStorage, type StorageWatcher } from './repository-storage.js';
import type {
  CacheStats,
  GetOptions,
  ModelDescription,
  ModelLease,
  ModelVersions,
  Repository,
  RepositoryEvent,
  RepositoryEventType,
  RepositoryIndexEntry,
  RepositoryListener,
  RepositoryOptions,
  RepositoryRunOptions,
  RepositoryVersionStatus,
  VersionPolicy,
} from './repository-types.js';
import { VersionCache } from './version-cache.js';
import { VersionLease, type LoadedVersion } from './version-lease.js';
import { VersionLoader } from './version-loader.js';
import { describePolicy, servedVersions } from './version-policy.js';
import { type ModelState, scanModel } from './version-scan.js';

/** What `openRepository` (in `open-repository.ts`) does, imported on its first call. @internal */
export async function openRepositoryNow(root: string | URL, options: RepositoryOptions = {}): Promise<Repository> {
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
  readonly #cache: VersionCache<LoadedVersion>;
  #models = new Map<string, ModelState>();
  /**
   * Versions that failed to load, by `name@version`, with the fingerprint they failed with:
   * they stay failed (no load is tried again) until their files change or `load()` is called.
   */
  readonly #failed = new Map<string, { readonly fingerprint: string; readonly error: InprocError }>();
  readonly #facts = new Map<string, VersionFacts>();
  readonly #loader: VersionLoader;
  /** Scans, swaps, rollbacks and unpins run one at a time, in order. */
  #serial: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #watcher: StorageWatcher | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: RepositoryStorage, settings: Settings) {
    this.#storage = storage;
    this.#settings = settings;
    this.#loader = new VersionLoader(storage, settings, (event) => this.#emit(event));
    this.#cache = new VersionCache<LoadedVersion>(
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
    return this.#get<I, O>(name, options, 'get', true);
  }

  async withLease<T, I = Feeds, O = Outputs>(name: string, work: (lease: ModelLease<I, O>) => T | PromiseLike<T>, options: GetOptions = {}): Promise<Awaited<T>> {
    if (typeof work !== 'function') throw new InprocError('INPUT_INVALID', `withLease needs a function to run with the lease, got ${describe(work)}`);
    // Released when work settles, so it is not watched for a forgotten release().
    const lease = await this.#get<I, O>(name, options, 'withLease', false);
    try {
      return await work(lease);
    } finally {
      lease.release();
    }
  }

  async #get<I, O>(name: string, options: GetOptions, what: string, watch: boolean): Promise<ModelLease<I, O>> {
    this.#checkOpen();
    if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `${what} options must be an object, got ${describe(options)}`);
    const { state, version } = this.#resolve(name, options.version);
    this.#throwIfFailed(state, version);
    return this.#acquire<I, O>(name, version, watch);
  }

  async load(name: string, options: GetOptions = {}): Promise<number> {
    this.#checkOpen();
    if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `load options must be an object, got ${describe(options)}`);
    const { version } = this.#resolve(name, options.version);
    this.#failed.delete(`${name}@${version}`);
    const lease = await this.#acquire(name, version);
    lease.release();
    return version;
  }

  status(name: string, version?: number | string): RepositoryVersionStatus {
    const { state, version: v } = this.#resolve(name, version);
    return { ...this.#entry(state, v), stats: this.#cache.peekValue(name, v)?.model.stats() };
  }

  /** The failure a version is known to load with (with its present files), if any. */
  #failure(state: ModelState, version: number): InprocError | undefined {
    const failure = this.#failed.get(`${state.name}@${version}`);
    return failure !== undefined && failure.fingerprint === state.versions.get(version)?.fingerprint ? failure.error : undefined;
  }

  /** A version that failed with its present files is not loaded again on every call: its failure is thrown instead. */
  #throwIfFailed(state: ModelState, version: number): void {
    if (this.#cache.peek(state.name, version) !== undefined) return;
    const failure = this.#failure(state, version);
    if (failure !== undefined) {
      throw new InprocError(failure.code, `${state.name}@${version} failed to load and stays failed until its files change (then refresh()) or it is loaded explicitly: ${failure.message}`, {
        cause: failure,
        details: { name: state.name, version, ...failure.details },
      });
    }
  }

  /** Loads a version (inside the cache's one shared load per version) and remembers its facts for metadata(), or its failure. */
  async #load(name: string, version: number, reserve: (bytes: number) => void): Promise<LoadedVersion> {
    const fingerprint = this.#models.get(name)?.versions.get(version)?.fingerprint ?? '';
    let loaded: LoadedVersion;
    try {
      loaded = await this.#loader.load(name, version, reserve);
    } catch (error) {
      const failure = asInprocError(error, 'load failed');
      // Failures of the moment (the cache's budget, a closing repository) are not the version's own.
      if (!TRANSIENT.has(failure.code)) this.#failed.set(`${name}@${version}`, { fingerprint, error: failure });
      throw error;
    }
    this.#failed.delete(`${name}@${version}`);
    this.#facts.set(`${name}@${version}`, { signature: loaded.model.signature, format: loaded.model.format, manifest: loaded.manifest });
    return loaded;
  }

  async #acquire<I, O>(name: string, version: number, watch = true): Promise<ModelLease<I, O>> {
    const lease = await this.#cache.acquire(name, version, (reserve) => this.#load(name, version, reserve));
    return new VersionLease<I, O>(lease, watch);
  }

  async run<I = Feeds, O = Outputs>(name: string, input: I, options?: RepositoryRunOptions): Promise<O> {
    const { version, ...runOptions } = options ?? {};
    // No options at all keeps Model.run on its fast path.
    return this.withLease<Promise<O>, I, O>(name, (lease) => lease.run(input, options === undefined || Object.keys(runOptions).length === 0 ? undefined : runOptions), version === undefined ? {} : { version });
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
    for (const name of names) next.set(name, await scanModel(this.#storage, this.#settings, this.#policy(name), name));
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
    return [...servedVersions(this.#policy(state.name), state.available)].reverse().find((v) => this.#failure(state, v) === undefined);
  }

  /** The versions the policy serves, plus a pinned one. */
  #servedSet(state: ModelState): readonly number[] {
    const served = servedVersions(this.#policy(state.name), state.available);
    return state.pinned === undefined || served.includes(state.pinned) ? served : sorted([...served, state.pinned]);
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
    } catch {
      return; // #load recorded the failure; the old version keeps serving
    }
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
      for (const version of state.served) entries.push(this.#entry(state, version));
    }
    return entries;
  }

  #entry(state: ModelState, version: number): RepositoryIndexEntry {
    const cached = this.#cache.peek(state.name, version);
    const failure = cached === undefined ? this.#failure(state, version) : undefined;
    const reason = cached !== undefined ? '' : failure !== undefined ? `load failed: ${failure.message}` : 'not loaded (loads on first use)';
    return { name: state.name, version: String(version), state: cached === 'ready' ? 'READY' : cached === 'loading' ? 'LOADING' : 'UNAVAILABLE', reason, ...(failure === undefined ? {} : { failure }) };
  }

  async metadata(name: string, version?: number | string): Promise<ModelDescription> {
    this.#checkOpen();
    const { state, version: v } = this.#resolve(name, version);
    let facts = this.#facts.get(`${name}@${v}`);
    if (facts === undefined) {
      this.#throwIfFailed(state, v);
      const lease = await this.#acquire(name, v);
      lease.release();
      facts = this.#facts.get(`${name}@${v}`)!;
    }
    const { description, metadata } = facts.manifest;
    return { name, version: v, versions: state.served, format: facts.format, signature: facts.signature, ...(description === undefined ? {} : { description }), ...(metadata === undefined ? {} : { metadata }) };
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

/** Load failures that say nothing about the version's files (the budget, a closing repository, no backend registered yet): not remembered. */
const TRANSIENT: ReadonlySet<string> = new Set(['LIMIT_EXCEEDED', 'DISPOSED', 'ABORTED', 'TIMEOUT', 'BACKEND_UNAVAILABLE']);

function sorted(versions: readonly number[]): number[] {
  return [...new Set(versions)].sort((a, b) => a - b);
}

function list(versions: readonly number[]): string {
  return versions.length === 0 ? 'none' : versions.join(', ');
}
