/**
 * The cache of loaded model versions, keyed by `name@version`: a byte budget and a
 * count limit enforced by evicting the least recently used models that nobody holds,
 * reference-counted leases (a held model is never disposed under its caller), one
 * shared load per key however many callers ask at once, an idle timeout, and retiring
 * (dispose once the last holder lets go) for versions that a swap replaced.
 * Knows nothing of files or manifests: the repository hands it a load function.
 * @module
 * @internal
 */
import { InprocError } from '../errors.js';
import type { CacheEntryStats, CacheStats, UnloadReason } from './repository-types.js';

/** What the cache holds: anything with a size and a dispose. */
export interface CacheItem {
  readonly bytes: number;
  dispose(): Promise<void>;
}

/** One holder's claim on a cached item. `release()` is idempotent. */
export interface CacheLease<T> {
  readonly value: T;
  readonly released: boolean;
  release(): void;
}

/** Called by a load function before it allocates, with the bytes it is about to take (model file size). */
export type Reserve = (bytes: number) => void;

export interface CacheOptions {
  readonly maxBytes: number;
  readonly maxModels: number;
  readonly overcommit: boolean;
  readonly idleTimeoutMs: number | undefined;
}

export interface CacheHooks<T> {
  /** A load was accepted into the cache. */
  onLoad(name: string, version: number, value: T): void;
  onEvict(name: string, version: number, bytes: number, reason: 'bytes' | 'count'): void;
  /** After the item's dispose() settled. */
  onUnload(name: string, version: number, reason: UnloadReason): void;
  /** dispose() of an unloaded item failed. */
  onError(name: string, version: number, error: unknown): void;
}

class Entry<T> {
  state: 'loading' | 'ready' = 'loading';
  value: T | undefined;
  refs = 0;
  /** While loading: the bytes reserved; once ready: the item's bytes. */
  bytes = 0;
  retired = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  promise!: Promise<T>;
  constructor(
    readonly key: string,
    readonly name: string,
    readonly version: number,
  ) {}
}

const keyOf = (name: string, version: number): string => `${name}@${version}`;

export class VersionCache<T extends CacheItem> {
  /** In least-recently-used order: a touched entry is moved to the end. */
  readonly #entries = new Map<string, Entry<T>>();
  readonly #unloading = new Set<Promise<void>>();
  readonly #options: CacheOptions;
  readonly #hooks: CacheHooks<T>;
  #closed = false;
  #hits = 0;
  #misses = 0;
  #loads = 0;
  #loadFailures = 0;
  #evictions = 0;
  #unloads = 0;

  constructor(options: CacheOptions, hooks: CacheHooks<T>) {
    this.#options = options;
    this.#hooks = hooks;
  }

  /** `'ready'`, `'loading'`, or undefined when the version is not cached. */
  peek(name: string, version: number): 'loading' | 'ready' | undefined {
    return this.#entries.get(keyOf(name, version))?.state;
  }

  /** The item of a ready entry, without touching its place in the LRU order or taking a lease. */
  peekValue(name: string, version: number): T | undefined {
    const entry = this.#entries.get(keyOf(name, version));
    return entry?.state === 'ready' ? entry.value : undefined;
  }

  /**
   * A lease on `name@version`, loading it with `load` when it is not cached. Callers
   * that arrive while a load is in progress share it (and its failure).
   * @throws InprocError `LIMIT_EXCEEDED`, `DISPOSED`, and whatever `load` throws
   */
  async acquire(name: string, version: number, load: (reserve: Reserve) => Promise<T>): Promise<CacheLease<T>> {
    if (this.#closed) throw new InprocError('DISPOSED', 'the repository was closed');
    const key = keyOf(name, version);
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#hits++;
    } else {
      this.#misses++;
      entry = new Entry<T>(key, name, version);
      this.#entries.set(key, entry);
      entry.promise = this.#load(entry, load);
    }
    // The reference is taken before waiting, so the entry cannot be evicted under a caller that is about to get it.
    entry.refs++;
    entry.retired = false;
    this.#touch(entry);
    let value: T;
    try {
      value = await entry.promise;
    } catch (error) {
      entry.refs--;
      throw error;
    }
    return this.#lease(entry, value);
  }

  async #load(entry: Entry<T>, load: (reserve: Reserve) => Promise<T>): Promise<T> {
    const reserve: Reserve = (bytes) => {
      this.#checkAlone(entry, bytes);
      entry.bytes = bytes;
      this.#makeRoom(entry, true);
    };
    let value: T;
    try {
      value = await load(reserve);
    } catch (error) {
      this.#forget(entry);
      this.#loadFailures++;
      throw error;
    }
    try {
      if (this.#closed || this.#entries.get(entry.key) !== entry) throw new InprocError('DISPOSED', `the repository was closed while ${entry.key} was loading`);
      this.#checkAlone(entry, value.bytes);
      entry.bytes = value.bytes;
      this.#makeRoom(entry, true);
    } catch (error) {
      this.#forget(entry);
      this.#loadFailures++;
      await value.dispose().catch((e: unknown) => this.#hooks.onError(entry.name, entry.version, e));
      throw error;
    }
    entry.state = 'ready';
    entry.value = value;
    this.#loads++;
    this.#hooks.onLoad(entry.name, entry.version, value);
    return value;
  }

  #checkAlone(entry: Entry<T>, bytes: number): void {
    if (bytes > this.#options.maxBytes) {
      throw new InprocError('LIMIT_EXCEEDED', `${entry.key} needs ${bytes} bytes, more than the whole cache budget (maxBytes ${this.#options.maxBytes})`, {
        details: { name: entry.name, version: entry.version, bytes, maxBytes: this.#options.maxBytes },
      });
    }
  }

  #forget(entry: Entry<T>): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    clearTimeout(entry.timer);
  }

  #touch(entry: Entry<T>): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (this.#entries.get(entry.key) === entry) {
      this.#entries.delete(entry.key);
      this.#entries.set(entry.key, entry);
    }
  }

  #usedBytes(): number {
    let bytes = 0;
    for (const entry of this.#entries.values()) bytes += entry.bytes;
    return bytes;
  }

  #over(): 'bytes' | 'count' | undefined {
    if (this.#usedBytes() > this.#options.maxBytes) return 'bytes';
    if (this.#entries.size > this.#options.maxModels) return 'count';
    return undefined;
  }

  /**
   * Evicts idle models, least recently used first, until the budget holds. When only
   * held or loading models remain: rejects `entry`'s load unless overcommit is on.
   */
  #makeRoom(entry: Entry<T> | undefined, strict: boolean): void {
    for (const candidate of this.#entries.values()) {
      const over = this.#over();
      if (over === undefined) return;
      if (candidate === entry || candidate.refs > 0 || candidate.state !== 'ready') continue;
      this.#evictions++;
      this.#hooks.onEvict(candidate.name, candidate.version, candidate.bytes, over);
      this.#unload(candidate, 'evicted');
    }
    const over = this.#over();
    if (over === undefined || !strict || this.#options.overcommit || entry === undefined) return;
    const held = [...this.#entries.values()].filter((e) => e !== entry);
    throw new InprocError(
      'LIMIT_EXCEEDED',
      over === 'bytes'
        ? `no room for ${entry.key} (${entry.bytes} bytes): the budget is ${this.#options.maxBytes} bytes and ${this.#usedBytes() - entry.bytes} are taken by models in use or loading (${held.map((e) => e.key).join(', ')})`
        : `no room for ${entry.key}: maxModels is ${this.#options.maxModels} and every cached model is in use or loading (${held.map((e) => e.key).join(', ')})`,
      { details: { name: entry.name, version: entry.version, reason: over } },
    );
  }

  #unload(entry: Entry<T>, reason: UnloadReason): void {
    this.#forget(entry);
    const value = entry.value;
    if (value === undefined) return;
    entry.value = undefined;
    this.#unloads++;
    const done = value
      .dispose()
      .then(
        () => this.#hooks.onUnload(entry.name, entry.version, reason),
        (error: unknown) => this.#hooks.onError(entry.name, entry.version, error),
      )
      .finally(() => this.#unloading.delete(done));
    this.#unloading.add(done);
  }

  #lease(entry: Entry<T>, value: T): CacheLease<T> {
    let released = false;
    return {
      value,
      get released() {
        return released;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#release(entry);
      },
    };
  }

  #release(entry: Entry<T>): void {
    entry.refs--;
    if (entry.refs > 0 || this.#closed || this.#entries.get(entry.key) !== entry || entry.state !== 'ready') return;
    if (entry.retired) {
      this.#unload(entry, 'retired');
      return;
    }
    // Leases released: models that were kept over budget for their holders can go now.
    this.#makeRoom(undefined, false);
    if (this.#entries.get(entry.key) !== entry) return;
    const idle = this.#options.idleTimeoutMs;
    if (idle !== undefined) {
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (entry.refs === 0 && this.#entries.get(entry.key) === entry) this.#unload(entry, 'idle');
      }, idle);
      // An idle timer must not keep a Node process alive.
      (entry.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Marks a version as replaced: it is unloaded now if nobody holds it, else when its last lease is released. */
  retire(name: string, version: number): void {
    const entry = this.#entries.get(keyOf(name, version));
    if (entry === undefined) return;
    entry.retired = true;
    if (entry.refs === 0 && entry.state === 'ready') this.#unload(entry, 'retired');
  }

  stats(): CacheStats {
    const entries: CacheEntryStats[] = [...this.#entries.values()].map((e) => ({ name: e.name, version: e.version, state: e.state, bytes: e.bytes, refs: e.refs }));
    return {
      hits: this.#hits,
      misses: this.#misses,
      loads: this.#loads,
      loadFailures: this.#loadFailures,
      evictions: this.#evictions,
      unloads: this.#unloads,
      bytes: this.#usedBytes(),
      maxBytes: this.#options.maxBytes,
      models: this.#entries.size,
      maxModels: this.#options.maxModels,
      held: entries.filter((e) => e.refs > 0).length,
      entries,
    };
  }

  /** Refuses new acquires, waits for loads in progress, disposes every model (calls in flight finish first). */
  async close(): Promise<void> {
    this.#closed = true;
    const loading = [...this.#entries.values()].filter((e) => e.state === 'loading').map((e) => e.promise.catch(() => undefined));
    await Promise.all(loading);
    for (const entry of [...this.#entries.values()]) this.#unload(entry, 'closed');
    while (this.#unloading.size > 0) await Promise.all([...this.#unloading]);
  }
}
