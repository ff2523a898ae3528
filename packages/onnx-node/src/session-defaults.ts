/**
 * Defaults for every onnxruntime session this backend creates in the process, set by
 * the application that owns the process (`inproc serve` sets them from its flags) before
 * models load. A load's own `backendOptions` win over them.
 *
 * Today one default: whether onnxruntime's intra-op thread pool spins (busy-waits) for
 * more work after each parallel section and after each run, ORT's config entry
 * `session.intra_op.allow_spinning` (ORT's default: it spins). Spinning saves the wake-up
 * of the pool's threads (microseconds) when runs follow each other at once; the price is
 * cores kept busy doing nothing. Published with `worker_threads.setEnvironmentData`, so
 * worker threads started afterwards (`isolation: 'worker'`) create their sessions with it too.
 * @module
 */
import type * as WorkerThreads from 'node:worker_threads';
import { nodeModule } from '@inproc/core/backend';

/** worker_threads at use, not at import. */
const threads = (): typeof WorkerThreads => nodeModule<typeof WorkerThreads>('node:worker_threads');

const ENVIRONMENT_KEY = 'inproc.onnx-node.session-defaults';

/** Process-wide defaults for onnxruntime sessions. */
export interface SessionDefaults {
  /**
   * Whether the intra-op thread pool spins after its work (`session.intra_op.allow_spinning`).
   * Undefined: onnxruntime's default (it spins). A model's own `backendOptions.extra` entry wins.
   */
  readonly intraOpSpinning?: boolean;
}

/** Sets the defaults for sessions created from now on, in this thread and in worker threads started after. */
export function setSessionDefaults(defaults: SessionDefaults): void {
  threads().setEnvironmentData(ENVIRONMENT_KEY, JSON.stringify(defaults));
}

/** The defaults in force in this thread. */
function sessionDefaults(): SessionDefaults {
  const published: unknown = threads().getEnvironmentData(ENVIRONMENT_KEY);
  return typeof published === 'string' ? (JSON.parse(published) as SessionDefaults) : {};
}

interface Extra {
  readonly session?: { readonly intra_op?: { readonly allow_spinning?: unknown } };
}

/**
 * ORT session options as this backend creates sessions with them: `options` with the
 * defaults (those in force in this thread unless given) added as ORT config entries
 * (`extra`) where `options` leaves them unset.
 */
export function withSessionDefaults<T extends { extra?: unknown }>(options: T, defaults: SessionDefaults = sessionDefaults()): T {
  if (defaults.intraOpSpinning === undefined) return options;
  const extra = (options.extra ?? {}) as Extra & Record<string, unknown>;
  if (extra.session?.intra_op?.allow_spinning !== undefined) return options;
  return {
    ...options,
    extra: { ...extra, session: { ...extra.session, intra_op: { ...extra.session?.intra_op, allow_spinning: defaults.intraOpSpinning ? '1' : '0' } } },
  };
}
