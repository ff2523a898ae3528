/**
 * The main-thread side of `isolation: 'worker'`: a pool of worker threads, each holding
 * its own session of the model, presented to the Model as one BackendSession whose
 * concurrency is the pool size. Inputs are structured-cloned (shared, not copied, when
 * they live in a SharedArrayBuffer); outputs are transferred back without a copy. A
 * worker that dies fails its in-flight call with WORKER_CRASHED and is replaced. In Node
 * an idle worker does not keep the process alive (it is unref'd while it waits for calls
 * and ref'd while it loads or runs), so a model whose dispose() was forgotten does not
 * hang a script that is done; the leak is still reported if the model is collected.
 * @module
 * @internal
 */
import type { BackendRunOptions, BackendSession } from '../backend.js';
import { onAbort } from '../call-signal.js';
import { InprocError, messageOf } from '../errors.js';
import type { WorkerResourceLimits } from '../model.js';
import { isNode, nodeImport } from '../platform.js';
import { trackResource, type ResourceLease } from '../resources.js';
import type { Outputs, Signature } from '../signature.js';
import { type Tensor, describe } from '../tensor.js';
import { type FromWorker, type LoadRequest, type ToWorker, errorFromWire, fromWire, toWire } from './worker-protocol.js';
import { globalSingleton } from '../global-singleton.js';

/** Accepted range of each limit: below the minimum a worker cannot start its runtime (a tiny stack aborts the whole process). */
const LIMIT_RANGES: Readonly<Record<keyof WorkerResourceLimits, readonly [number, number]>> = {
  maxOldGenerationSizeMb: [8, 1 << 20],
  maxYoungGenerationSizeMb: [1, 1 << 16],
  codeRangeSizeMb: [1, 1 << 12],
  stackSizeMb: [1, 1 << 10],
};

/**
 * Checks `workerResourceLimits` before a worker starts.
 * @throws InprocError `INPUT_INVALID` naming the limit and its range
 * @internal
 */
export function checkResourceLimits(limits: unknown): WorkerResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new InprocError('INPUT_INVALID', `options.workerResourceLimits must be an object of limits in MiB (${Object.keys(LIMIT_RANGES).join(', ')}), got ${describe(limits)}`);
  }
  const checked: Record<string, number> = {};
  for (const [key, value] of Object.entries(limits)) {
    const range = LIMIT_RANGES[key as keyof WorkerResourceLimits] as readonly [number, number] | undefined;
    if (range === undefined) throw new InprocError('INPUT_INVALID', `options.workerResourceLimits: unknown limit "${key}" (known: ${Object.keys(LIMIT_RANGES).join(', ')})`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= range[0] && value <= range[1])) {
      throw new InprocError('INPUT_INVALID', `options.workerResourceLimits.${key} must be a number of MiB from ${range[0]} to ${range[1]}, got ${describe(value)}`);
    }
    checked[key] = value;
  }
  return checked;
}

interface NodeWorker {
  readonly threadId: number;
  postMessage(message: ToWorker, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: FromWorker) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

type NodeWorkerConstructor = new (entry: URL | string, options: { resourceLimits?: WorkerResourceLimits }) => NodeWorker;

/** The part of a browser `Worker` the pool uses (declared without DOM types, so Node projects compile it). */
export interface WebWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string; preventDefault?(): void }) => void): void;
  terminate(): void;
}

/** One isolation worker, whatever the platform: Node worker_threads or a browser Web Worker. */
interface IsolatedWorker {
  readonly id: number;
  post(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** The worker is gone (it exited, crashed, or threw at its top level); called once. */
  onExit(listener: (reason: string) => void): void;
  /** Whether the worker keeps the process alive: while it loads or runs (Node only; Web Workers never do). */
  hold(active: boolean): void;
  terminate(): Promise<void>;
}

let nextWebWorkerId = 1;

function nodeWorker(Worker: NodeWorkerConstructor, entry: URL | string, limits: WorkerResourceLimits | undefined): IsolatedWorker {
  const worker = new Worker(entry, limits === undefined ? {} : { resourceLimits: limits });
  const id = worker.threadId; // reads -1 once the thread has exited
  let lastError = '';
  worker.on('error', (error) => {
    lastError = error.message;
  });
  return {
    id,
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => worker.on('exit', (code) => listener(`code ${code}${lastError ? `: ${lastError}` : ''}`)),
    hold: (active) => (active ? worker.ref() : worker.unref()),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function webWorker(worker: WebWorkerLike, url: string | undefined): IsolatedWorker {
  const id = nextWebWorkerId++;
  const exitListeners: ((reason: string) => void)[] = [];
  let gone = false;
  // A Web Worker has no exit event: an uncaught error at its top level is its crash; an
  // error event without a message is a script that did not load (404, wrong MIME type).
  worker.addEventListener('error', (event) => {
    event.preventDefault?.();
    if (gone) return;
    gone = true;
    worker.terminate();
    void (event.message !== undefined && event.message !== '' ? Promise.resolve(event.message) : workerScriptProblem(url)).then((reason) => {
      for (const listener of exitListeners) listener(reason);
    });
  });
  return {
    id,
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data as FromWorker)),
    onExit: (listener) => void exitListeners.push(listener),
    hold: () => undefined,
    terminate: () => {
      if (!gone) {
        gone = true;
        worker.terminate();
        for (const listener of exitListeners) listener('terminated');
      }
      return Promise.resolve();
    },
  };
}

/**
 * Calls the app's `createWorker` and notes the script URL it passes to `new Worker()`
 * (the bundler wrote it there), so that a script that does not load can be named.
 */
function createdWithUrl(create: () => WebWorkerLike): [WebWorkerLike, string | undefined] {
  const g = globalThis as { Worker?: new (...args: unknown[]) => WebWorkerLike };
  const Original = g.Worker;
  let url: string | undefined;
  if (typeof Original === 'function') {
    g.Worker = new Proxy(Original, {
      construct(target, args, newTarget) {
        url = String(args[0]);
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
  try {
    return [create(), url];
  } finally {
    if (typeof Original === 'function') g.Worker = Original;
  }
}

/** Why a worker script did not start: what its URL answers now. */
async function workerScriptProblem(url: string | undefined): Promise<string> {
  const generic = 'the worker script did not load, or threw before it started';
  if (url === undefined) return `${generic} (see the browser console)`;
  const href = new URL(url, (globalThis as { location?: { href?: string } }).location?.href).href;
  try {
    const response = await fetch(href, { cache: 'no-store' });
    void response.body?.cancel().catch(() => undefined);
    const type = response.headers.get('content-type') ?? 'no content-type';
    if (!response.ok) return `the worker script ${href} could not be loaded: HTTP ${response.status}; check that the build emits it there (new Worker(new URL('./inproc-worker.js', import.meta.url), { type: 'module' }) in createWorker)`;
    if (!/javascript|ecmascript/i.test(type)) return `the worker script ${href} is served as "${type}", which a browser does not run as a module`;
    return `${generic}: ${href} (see the browser console)`;
  } catch (error) {
    return `the worker script ${href} could not be fetched: ${messageOf(error)}`;
  }
}

interface Slot {
  worker: IsolatedWorker;
  state: 'loading' | 'ready' | 'busy' | 'dead';
  lease: ResourceLease | undefined;
  call: { id: number; resolve(outputs: Outputs): void; reject(error: unknown): void } | undefined;
  /** Set while the worker loads: fails its load. */
  failLoad: ((error: unknown) => void) | undefined;
}

/** Read through a call: a signal checked before an await may have fired since (TypeScript keeps the earlier narrowing). */
function hasFired(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(signal: AbortSignal): InprocError {
  return new InprocError('ABORTED', 'the load was aborted', { cause: signal.reason });
}

/** The isolation settings, process-wide (`configureIsolation` may run in another copy of core). */
const isolationSettings = (): { options?: IsolationOptions } => globalSingleton<{ options?: IsolationOptions }>('inproc.isolation', () => ({}));

/**
 * How isolation workers start. `workerEntry`: a module URL (Node worker_threads, or a
 * module Web Worker) that registers backends and calls `serveIsolatedModel()` — the
 * `inproc` package sets its own in Node. `createWorker`: a function returning a browser
 * `Worker`, so a bundler sees the worker, e.g.
 * `() => new Worker(new URL('./inproc-worker.js', import.meta.url), { type: 'module' })`
 * where that file is `import 'inproc/worker'`.
 */
export interface IsolationOptions {
  readonly workerEntry?: URL | string;
  readonly createWorker?: () => WebWorkerLike;
}

/** Sets how isolation workers start (see {@link IsolationOptions}). */
export function configureIsolation(options: IsolationOptions): void {
  if (typeof options !== 'object' || options === null || (options.workerEntry === undefined && typeof options.createWorker !== 'function')) {
    throw new InprocError('INPUT_INVALID', 'configureIsolation needs { workerEntry } or { createWorker }');
  }
  isolationSettings().options = options;
}

function isolation(): IsolationOptions {
  const options = isolationSettings().options;
  if (options === undefined) {
    throw new InprocError(
      'INPUT_INVALID',
      isNode()
        ? "isolation: 'worker' needs a worker entry: import 'inproc' (which sets one), or call configureIsolation({ workerEntry })"
        : "isolation: 'worker' in a browser needs configureIsolation({ createWorker: () => new Worker(new URL('./inproc-worker.js', import.meta.url), { type: 'module' }) }), where that file imports 'inproc/worker'",
    );
  }
  return options;
}

export interface PoolOptions {
  readonly workers: number;
  readonly resourceLimits: WorkerResourceLimits | undefined;
  readonly load: Omit<LoadRequest, 'type'>;
  readonly signal: AbortSignal | undefined;
}

export async function createWorkerPool(options: PoolOptions): Promise<BackendSession> {
  const config = isolation();
  let spawn: () => IsolatedWorker;
  if (config.createWorker !== undefined) {
    const create = config.createWorker;
    spawn = () => webWorker(...createdWithUrl(create));
  } else if (isNode()) {
    const threads = await nodeImport<{ Worker: NodeWorkerConstructor }>('worker_threads');
    spawn = () => nodeWorker(threads.Worker, config.workerEntry!, options.resourceLimits);
  } else {
    const WorkerClass = (globalThis as { Worker?: new (url: URL | string, o: { type: 'module' }) => WebWorkerLike }).Worker;
    if (WorkerClass === undefined) throw new InprocError('INPUT_INVALID', "isolation: 'worker': this environment has no Worker");
    spawn = () => webWorker(new WorkerClass(config.workerEntry!, { type: 'module' }), String(config.workerEntry));
  }
  const pool = new WorkerPool(spawn, options);
  await pool.start();
  return pool;
}

class WorkerPool implements BackendSession {
  signature: Signature = { inputs: [], outputs: [] };
  device = 'cpu';
  backendName = '';
  /** Model bytes times workers: each worker holds its own session. */
  bytes = 0;
  readonly concurrency: number;
  metadata: Readonly<Record<string, unknown>> = {};
  readonly #spawnWorker: () => IsolatedWorker;
  readonly #options: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #waiters: ((slot: Slot | undefined) => void)[] = [];
  #nextId = 0;
  #disposed = false;
  #crashes = 0;

  constructor(spawn: () => IsolatedWorker, options: PoolOptions) {
    this.#spawnWorker = spawn;
    this.#options = options;
    this.concurrency = options.workers;
  }

  /**
   * Starts every worker and loads the model in each. The load's signal ends it: workers
   * still loading are terminated (a native load cannot be interrupted otherwise), so an
   * aborted load frees its threads and memory at once.
   */
  async start(): Promise<void> {
    const { signal } = this.#options;
    if (signal?.aborted === true) throw aborted(signal);
    const detach = signal === undefined ? undefined : onAbort(signal, () => this.#abortLoads(aborted(signal)));
    let results: PromiseSettledResult<Slot>[];
    try {
      results = await Promise.allSettled(Array.from({ length: this.#options.workers }, () => this.#spawn()));
    } finally {
      detach?.();
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Aborted after the last worker loaded, before the listener was detached: nothing was failed, but the load is over.
    const abortedLate = hasFired(signal);
    if (failure !== undefined || abortedLate) {
      await this.dispose();
      throw failure === undefined ? aborted(signal!) : failure.reason;
    }
  }

  /** Ends the workers that are loading, failing their loads with `error`; nothing replaces them. */
  #abortLoads(error: InprocError): void {
    this.#disposed = true;
    for (const slot of this.#slots) {
      if (slot.state !== 'loading') continue;
      slot.state = 'dead';
      slot.failLoad?.(error);
      void slot.worker.terminate();
    }
  }

  /** Starts a worker and loads the model in it; resolves when it is ready. */
  #spawn(): Promise<Slot> {
    const worker = this.#spawnWorker();
    const slot: Slot = { worker, state: 'loading', lease: undefined, call: undefined, failLoad: undefined };
    const threadId = worker.id;
    this.#slots.push(slot);
    return new Promise<Slot>((resolve, reject) => {
      slot.failLoad = (error) => {
        slot.failLoad = undefined;
        reject(error);
      };
      worker.onMessage((message) => {
        switch (message.type) {
          case 'loaded':
            if (slot.state !== 'loading') return;
            slot.failLoad = undefined;
            this.signature = message.signature;
            this.device = message.device;
            this.backendName = message.backend;
            this.metadata = { ...message.metadata, isolation: 'worker', workers: this.#options.workers };
            // Each worker's session is one session of the ledger, with its bytes (the Model counts none for the pool).
            slot.lease = trackResource('session', message.bytes, `worker ${threadId} ${message.backend}/${message.device} ${this.#options.load.name}`);
            this.bytes = message.bytes * this.#options.workers;
            this.#ready(slot);
            resolve(slot);
            return;
          case 'load-failed':
            if (slot.state !== 'loading') return;
            slot.state = 'dead';
            void worker.terminate();
            slot.failLoad?.(errorFromWire(message.error));
            return;
          case 'result':
          case 'failed': {
            const call = slot.call;
            if (call === undefined || call.id !== message.id) return;
            slot.call = undefined;
            if (message.type === 'result') {
              const outputs: Outputs = {};
              for (const [name, wire] of Object.entries(message.outputs)) outputs[name] = fromWire(wire);
              call.resolve(outputs);
            } else call.reject(errorFromWire(message.error));
            this.#ready(slot);
            return;
          }
          case 'disposed':
            return;
        }
      });
      worker.onExit((reason) => {
        const wasLoading = slot.state === 'loading';
        // Already given up (its load failed or was aborted): its exit is expected, nothing replaces it.
        const expected = slot.state === 'dead';
        slot.state = 'dead';
        slot.lease?.release();
        const index = this.#slots.indexOf(slot);
        if (index >= 0) this.#slots.splice(index, 1);
        if (this.#disposed || expected) return;
        this.#crashes++;
        const crash = new InprocError('WORKER_CRASHED', `isolation worker ${threadId} exited (${reason}) while serving ${this.#options.load.name}; it is being replaced`);
        if (wasLoading) slot.failLoad?.(crash);
        slot.call?.reject(crash);
        slot.call = undefined;
        if (!wasLoading) {
          // Replace it; if the replacement cannot start, callers waiting for a worker fail.
          this.#spawn().catch((error: unknown) => {
            if (!this.#anyAlive()) for (const wake of this.#waiters.splice(0)) wake(undefined);
            void error;
          });
        }
      });
      try {
        worker.post({ type: 'load', ...this.#options.load });
      } catch (error) {
        // Something in the load options cannot be cloned to a thread (a function, a class instance).
        slot.state = 'dead';
        void worker.terminate();
        slot.failLoad?.(new InprocError('INPUT_INVALID', `isolation: 'worker': the load options cannot be sent to a worker thread (backendOptions, dims and deviceChoice must be plain data): ${messageOf(error)}`, { cause: error }));
      }
    });
  }

  #ready(slot: Slot): void {
    if (slot.state === 'dead') return;
    const wake = this.#waiters.shift();
    if (wake !== undefined) {
      slot.state = 'busy';
      wake(slot);
    } else {
      slot.state = 'ready';
      // Idle: waiting for calls must not keep the process alive (a forgotten dispose() would hang it).
      slot.worker.hold(this.#disposed);
    }
  }

  #anyAlive(): boolean {
    return this.#slots.some((s) => s.state !== 'dead');
  }

  #acquire(): Promise<Slot | undefined> {
    const slot = this.#slots.find((s) => s.state === 'ready');
    if (slot !== undefined) {
      slot.state = 'busy';
      slot.worker.hold(true);
      return Promise.resolve(slot);
    }
    if (!this.#anyAlive()) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Outputs> {
    const slot = await this.#acquire();
    if (slot === undefined) throw new InprocError('WORKER_CRASHED', `no isolation worker of ${this.#options.load.name} is alive`);
    return new Promise<Outputs>((resolve, reject) => {
      const id = this.#nextId++;
      slot.call = { id, resolve, reject };
      try {
        const wire = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toWire(t)]));
        // Inputs are cloned, not transferred: transferring would detach the caller's arrays.
        slot.worker.post({ type: 'run', id, feeds: wire, outputs: options.outputs });
      } catch (error) {
        // Nothing reached the worker: free its slot for the next call, and fail this one alone.
        slot.call = undefined;
        this.#ready(slot);
        reject(new InprocError('INPUT_INVALID', `the inputs could not be sent to the isolation worker: ${messageOf(error)}`, { cause: error }));
      }
    });
  }

  /** Workers that died and were replaced since the pool started. */
  get crashes(): number {
    return this.#crashes;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    // From here workers keep the process alive until they have freed their sessions and exited.
    for (const slot of this.#slots) slot.worker.hold(true);
    for (const wake of this.#waiters.splice(0)) wake(undefined);
    await Promise.all(
      [...this.#slots].map(async (slot) => {
        if (slot.state !== 'dead') {
          slot.worker.post({ type: 'dispose' });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5000);
            slot.worker.onMessage((m) => {
              if (m.type === 'disposed') {
                clearTimeout(timer);
                resolve();
              }
            });
            slot.worker.onExit(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        await slot.worker.terminate();
        slot.lease?.release();
      }),
    );
    this.#slots.length = 0;
  }
}

/** The backend a pool's workers loaded the model with. @internal */
export function poolBackendName(session: BackendSession): string | undefined {
  return session instanceof WorkerPool ? session.backendName : undefined;
}
