/**
 * The backend registry: registration, lazy initialisation, and choosing the backend
 * that loads a model. It lives on `globalThis` under `Symbol.for('inproc.backends')`
 * so that duplicate copies of `@inproc/core` share one registry.
 * @module
 */
import type { Backend, BackendLoadOptions, BackendSession, ModelSource } from './backend.js';
import { throwIfAborted } from './call-signal.js';
import { InprocError, messageOf, type ErrorCode } from './errors.js';
import { globalSingleton } from './global-singleton.js';

interface Entry {
  readonly backend: Backend;
  /** Settles once: the result of `isAvailable()`, kept so a failed backend is not retried on every load. */
  availability?: Promise<{ ok: true } | { ok: false; reason: string; cause?: unknown }>;
}

interface Registry {
  readonly entries: Map<string, Entry>;
}

function registry(): Registry {
  return globalSingleton<Registry>('inproc.backends', () => ({ entries: new Map() }));
}

/** Options of {@link registerBackend}. */
export interface RegisterOptions {
  /** Replace a different backend already registered under the same name. */
  readonly replace?: boolean;
}

/**
 * Registers a backend. Registering the same object twice is a no-op; registering a
 * different backend under a taken name throws unless `replace` is set.
 */
export function registerBackend(backend: Backend, options: RegisterOptions = {}): void {
  checkBackend(backend);
  const { entries } = registry();
  const existing = entries.get(backend.name);
  if (existing?.backend === backend) return;
  if (existing !== undefined && options.replace !== true) {
    throw new InprocError('INPUT_INVALID', `backend "${backend.name}" is already registered (by another copy of its package?); pass { replace: true } to replace it`);
  }
  entries.set(backend.name, { backend });
}

/** Removes a backend; returns whether it was registered. */
export function unregisterBackend(name: string): boolean {
  return registry().entries.delete(name);
}

/** The registered backends, highest priority first. */
export function listBackends(): readonly Backend[] {
  return [...registry().entries.values()].map((e) => e.backend).sort((a, b) => b.priority - a.priority);
}

/** Whether a backend of this name is registered. */
export function hasBackend(name: string): boolean {
  return registry().entries.has(name);
}

/**
 * Whether a backend can be used here. Initialises it once; the outcome is kept.
 * Resolves `{ ok: false, reason }` rather than throwing.
 */
export async function backendAvailability(name: string): Promise<{ ok: true } | { ok: false; reason: string; cause?: unknown }> {
  const entry = registry().entries.get(name);
  if (entry === undefined) return { ok: false, reason: 'not registered' };
  entry.availability ??= (async () => {
    try {
      const ok = await entry.backend.isAvailable();
      return ok ? { ok: true as const } : { ok: false as const, reason: 'not available in this environment' };
    } catch (error) {
      return { ok: false as const, reason: messageOf(error), cause: error };
    }
  })();
  return entry.availability;
}

/** One backend's reason for not loading a model, as listed in `BACKEND_UNAVAILABLE` details. */
export interface BackendFailure {
  readonly backend: string;
  readonly code: ErrorCode | 'UNAVAILABLE';
  readonly message: string;
}

/** What the registry needs to choose and load. @internal */
export interface ResolveRequest {
  readonly backend: string | readonly string[] | undefined;
  readonly load: BackendLoadOptions;
}

/** Codes after which the next candidate backend is tried; any other error ends the load. */
const TRY_NEXT: ReadonlySet<ErrorCode> = new Set(['BACKEND_UNAVAILABLE', 'DEVICE_UNAVAILABLE']);

/**
 * Loads a model with the first candidate backend that can: those named (in the given
 * order) or, under `'auto'`, every registered backend by priority; restricted to the
 * model's format and, unless `'auto'`, to the device. @internal
 */
export async function loadWithBackends(source: ModelSource, request: ResolveRequest): Promise<{ backend: Backend; session: BackendSession }> {
  const { device } = request.load;
  const wanted = request.backend === undefined || request.backend === 'auto' ? undefined : typeof request.backend === 'string' ? [request.backend] : request.backend;
  const failures: BackendFailure[] = [];
  let candidates: Backend[];
  if (wanted === undefined) {
    candidates = listBackends() as Backend[];
  } else {
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.some((n) => typeof n !== 'string')) {
      throw new InprocError('INPUT_INVALID', `options.backend must be 'auto', a backend name or a non-empty array of names, got ${JSON.stringify(request.backend)}`);
    }
    candidates = [];
    for (const name of wanted as readonly string[]) {
      const entry = registry().entries.get(name);
      if (entry === undefined) failures.push({ backend: name, code: 'UNAVAILABLE', message: `no backend named "${name}" is registered (registered: ${names(listBackends())})` });
      else candidates.push(entry.backend);
    }
  }
  const byFormat = candidates.filter((b) => b.formats.includes(source.format));
  for (const b of candidates) if (!byFormat.includes(b)) failures.push({ backend: b.name, code: 'UNAVAILABLE', message: `does not load ${source.format} models (it loads ${b.formats.join(', ')})` });
  const byDevice = device === 'auto' ? byFormat : byFormat.filter((b) => b.devices.includes(device));
  const lacking = byFormat.filter((b) => !byDevice.includes(b)).map((b): BackendFailure => ({ backend: b.name, code: 'DEVICE_UNAVAILABLE', message: `has no device "${device}" (it has ${b.devices.join(', ')})` }));
  failures.push(...lacking);

  for (const backend of byDevice) {
    throwIfAborted(request.load.signal, 'the load');
    const availability = await backendAvailability(backend.name);
    if (!availability.ok) {
      failures.push({ backend: backend.name, code: 'UNAVAILABLE', message: availability.reason });
      continue;
    }
    try {
      const session = await backend.load(source, request.load);
      return { backend, session };
    } catch (error) {
      if (InprocError.is(error) && TRY_NEXT.has(error.code)) {
        failures.push({ backend: backend.name, code: error.code, message: error.message });
        continue;
      }
      throw error;
    }
  }

  // A backend without the device is no reason when one with it was tried and failed (say, its .wasm was missing).
  const shown = failures.some((f) => byDevice.some((b) => b.name === f.backend)) ? failures.filter((f) => !lacking.includes(f)) : failures;
  const list = shown.length ? shown.map((f) => `  - ${f.backend}: ${f.message}`).join('\n') : '  (no backends are registered: import "inproc", or register one with registerBackend())';
  const deviceOnly = device !== 'auto' && byFormat.length > 0 && failures.filter((f) => byFormat.some((b) => b.name === f.backend)).every((f) => f.code === 'DEVICE_UNAVAILABLE');
  const code: ErrorCode = deviceOnly ? 'DEVICE_UNAVAILABLE' : 'BACKEND_UNAVAILABLE';
  const what = deviceOnly ? `device "${device}" is not available for ${source.name}` : `no backend could load ${source.name} (format ${source.format}${device === 'auto' ? '' : `, device ${device}`})`;
  throw new InprocError(code, `${what}:\n${list}`, { details: { failures } });
}

function names(backends: readonly Backend[]): string {
  return backends.length ? backends.map((b) => b.name).join(', ') : 'none';
}

function checkBackend(backend: Backend): void {
  const ok =
    typeof backend === 'object' &&
    backend !== null &&
    typeof backend.name === 'string' &&
    backend.name.length > 0 &&
    typeof backend.priority === 'number' &&
    Array.isArray(backend.formats) &&
    Array.isArray(backend.devices) &&
    typeof backend.isAvailable === 'function' &&
    typeof backend.load === 'function';
  if (!ok) throw new InprocError('INPUT_INVALID', 'registerBackend: a backend needs name, priority, formats, devices, isAvailable() and load()');
}
