/**
 * Exact accounting of live native resources: models, backend sessions, native tensors
 * and the bytes they hold. The ledger lives on `globalThis` so that every copy of
 * `@inproc/core` in a process (and every backend) writes to the same one.
 * @module
 */
import { globalSingleton } from './global-singleton.js';

/** Live counts, across all backends. */
export interface ResourceCounts {
  /** `Model` objects not yet disposed. */
  readonly models: number;
  /** Backend sessions (an ORT `InferenceSession`, a TF.js model, a worker) not yet released. */
  readonly sessions: number;
  /** Tensors holding native or device memory (backend tensors in flight, GPU outputs) not yet released. */
  readonly tensors: number;
  /** Bytes held by the sessions (model weights) and tensors above. */
  readonly bytes: number;
}

/** Kinds of tracked resource. */
export type ResourceKind = 'model' | 'session' | 'tensor';

/** One live entry of the ledger, as listed by {@link liveResources}. */
export interface ResourceEntry {
  readonly kind: ResourceKind;
  readonly bytes: number;
  /** Who holds it, e.g. `onnx-node session models/vad.onnx`. */
  readonly label: string;
}

/** Returned by {@link trackResource}; `release()` is idempotent. */
export interface ResourceLease {
  readonly released: boolean;
  release(): void;
}

interface Ledger {
  readonly live: Set<ResourceEntry>;
}

function ledger(): Ledger {
  return globalSingleton<Ledger>('inproc.resources', () => ({ live: new Set() }));
}

/**
 * Records a live resource. Backends call this for every native handle they create and
 * release the lease when the handle is freed. For backend authors.
 */
export function trackResource(kind: ResourceKind, bytes: number, label: string): ResourceLease {
  const entry: ResourceEntry = { kind, bytes: Math.max(0, Math.round(bytes)), label };
  const { live } = ledger();
  live.add(entry);
  let released = false;
  return {
    get released() {
      return released;
    },
    release() {
      if (released) return;
      released = true;
      live.delete(entry);
    },
  };
}

/** Live models, sessions, native tensors and bytes, across all backends. */
export function resources(): ResourceCounts {
  let models = 0;
  let sessions = 0;
  let tensors = 0;
  let bytes = 0;
  for (const entry of ledger().live) {
    if (entry.kind === 'model') models++;
    else if (entry.kind === 'session') sessions++;
    else tensors++;
    bytes += entry.bytes;
  }
  return { models, sessions, tensors, bytes };
}

/** Every live entry with a label saying who holds it: for finding a leak. */
export function liveResources(): readonly ResourceEntry[] {
  return [...ledger().live];
}
