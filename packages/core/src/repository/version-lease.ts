/**
 * `ModelLease`: a caller's handle on a cached model version. It is a `Model` (so code
 * written for `loadModel` works unchanged) whose `dispose()` releases the lease instead
 * of freeing the model: the cache frees it when nobody holds it and the budget, idle
 * timeout or a swap says so. A lease dropped without release is released by a
 * `FinalizationRegistry`, with a warning, so a forgotten lease cannot pin memory forever.
 * @module
 * @internal
 */
import type { ModelFormat } from '../backend.js';
import { InprocError } from '../errors.js';
import { callerStack } from '../leak-reporter.js';
import type { ModelStats } from '../metrics/stats.js';
import type { Model, RunOptions } from '../model.js';
import type { CacheLease } from './version-cache.js';
import type { Manifest, ModelLease } from './repository-types.js';
import type { Feeds, Outputs, Signature } from '../signature.js';

/** What the repository keeps per loaded version. @internal */
export interface LoadedVersion {
  readonly name: string;
  readonly version: number;
  readonly model: Model<unknown, unknown>;
  readonly manifest: Manifest;
  readonly labels: readonly string[] | undefined;
  /** Model file size plus the session's bytes. */
  readonly bytes: number;
  readonly loadMs: number;
  readonly warmupMs: number;
  readonly warmupRuns: number;
  dispose(): Promise<void>;
}

// Unlike a leaked model (reported, never freed: see leak-reporter.ts), a leaked lease is
// released: it is only a reference count, releasing it frees nothing under anyone, and
// keeping it would pin the model in the cache for the life of the process.
const leaked = new FinalizationRegistry<{ readonly lease: CacheLease<LoadedVersion>; readonly key: string; readonly takenAt: string }>(({ lease, key, takenAt }) => {
  if (lease.released) return;
  lease.release();
  const message = `inproc: a lease on ${key} was garbage-collected without release(); it was released now. Call release() or declare it with \`await using\`. It was taken at:\n${takenAt}`;
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { type: 'InprocLeakWarning', code: 'INPROC_LEASE_NOT_RELEASED' });
  else console.warn(message);
});

export class VersionLease<I = Feeds, O = Outputs> implements ModelLease<I, O> {
  readonly #lease: CacheLease<LoadedVersion>;
  readonly #model: Model<I, O>;
  readonly name: string;
  readonly version: number;
  readonly labels: readonly string[] | undefined;
  readonly manifest: Manifest;

  /** `watch`: report and release the lease if it is garbage-collected unreleased (false for a lease that a scope releases). */
  constructor(lease: CacheLease<LoadedVersion>, watch = true) {
    const loaded = lease.value;
    this.#lease = lease;
    // The repository cannot know a manifest's processor types; get<I, O>() states them.
    this.#model = loaded.model as unknown as Model<I, O>;
    this.name = loaded.name;
    this.version = loaded.version;
    this.labels = loaded.labels;
    this.manifest = loaded.manifest;
    // Where it was taken is formatted now (the costly part): a stack kept unformatted would hold its frames' objects, the lease among them.
    if (watch) leaked.register(this, { lease, key: `${loaded.name}@${loaded.version}`, takenAt: callerStack() }, this);
  }

  get signature(): Signature {
    return this.#model.signature;
  }
  get backend(): string {
    return this.#model.backend;
  }
  get device(): string {
    return this.#model.device;
  }
  get format(): ModelFormat {
    return this.#model.format;
  }
  get source(): string {
    return this.#model.source;
  }
  get metadata(): Readonly<Record<string, unknown>> {
    return this.#model.metadata;
  }
  get pending(): { readonly queued: number; readonly running: number } {
    return this.#model.pending;
  }
  get bytes(): number {
    return this.#model.bytes;
  }
  stats(): ModelStats {
    return this.#model.stats();
  }
  /** True once released (the model itself may live on in the cache). */
  get disposed(): boolean {
    return this.#lease.released;
  }

  run(input: I, options?: RunOptions): Promise<O> {
    if (this.#lease.released) return Promise.reject(new InprocError('DISPOSED', `the lease on ${this.name}@${this.version} was released; get() a new one`));
    return this.#model.run(input, options);
  }

  release(): void {
    if (this.#lease.released) return;
    leaked.unregister(this); // a no-op for a lease not watched
    this.#lease.release();
  }

  dispose(): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
