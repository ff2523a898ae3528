/**
 * The worker side of `isolation: 'worker'`: loads the model into a backend session with
 * the backends registered in the worker, and answers run requests. Only the session
 * lives here: the caller's `Model` (on the main thread) validates, queues, batches,
 * counts and watches for leaks once, for every worker. Started by a worker entry module
 * that registers backends first (e.g. `inproc`'s `worker.js`).
 * @module
 */
import type { BackendSession } from '../backend.js';
import { loadWithBackends } from '../backend-registry.js';
import { InprocError, messageOf } from '../errors.js';
import { isNode, nodeImport } from '../platform.js';
import { resolveSource } from '../source.js';
import type { Outputs } from '../signature.js';
import type { Tensor } from '../tensor.js';
import { type FromWorker, type LoadRequest, type ToWorker, type WireTensor, errorToWire, feedsFromWire, fromWire, transferables } from './worker-protocol.js';

interface Port {
  on(event: 'message', listener: (message: ToWorker) => void): void;
  postMessage(message: FromWorker, transfer?: readonly ArrayBuffer[]): void;
}

interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: ToWorker }) => void): void;
  postMessage(message: FromWorker, transfer?: readonly ArrayBuffer[]): void;
}

/** The channel to the main thread: Node's parentPort, or a Web Worker's own scope. */
async function parentChannel(): Promise<Port> {
  if (isNode()) {
    const threads = await nodeImport<{ parentPort: Port | null }>('worker_threads');
    if (threads.parentPort === null) throw new Error('serveIsolatedModel must run inside a worker thread');
    return threads.parentPort;
  }
  const scope = globalThis as unknown as Partial<WorkerScope> & { document?: unknown };
  if (typeof scope.postMessage !== 'function' || typeof scope.addEventListener !== 'function' || scope.document !== undefined) {
    throw new Error('serveIsolatedModel must run inside a Web Worker');
  }
  const worker = scope as WorkerScope;
  return {
    on: (_event, listener) => worker.addEventListener('message', (event) => listener(event.data)),
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
  };
}

/** Serves one model to the thread that started this worker (a Node worker thread or a Web Worker). */
export async function serveIsolatedModel(): Promise<void> {
  const port = await parentChannel();
  let served: { session: BackendSession; label: string } | undefined;
  port.on('message', (message) => {
    switch (message.type) {
      case 'load':
        load(message).then(
          (loaded) => {
            served = loaded;
            const { session } = loaded;
            try {
              port.postMessage({ type: 'loaded', signature: session.signature, backend: loaded.backend, device: session.device, bytes: session.bytes, metadata: session.metadata });
            } catch (error) {
              // Metadata a backend filled with something that cannot be cloned: the load fails, coded, and the session is freed.
              served = undefined;
              void session.dispose().catch(() => undefined);
              port.postMessage({ type: 'load-failed', error: errorToWire(new InprocError('RUN_FAILED', `the isolation worker could not send the loaded model's facts: ${messageOf(error)}`)) });
            }
          },
          (error: unknown) => port.postMessage({ type: 'load-failed', error: errorToWire(error) }),
        );
        return;
      case 'run': {
        const { id } = message;
        const fail = (error: unknown): void => {
          const coded = InprocError.is(error) ? error : new InprocError('RUN_FAILED', `${served?.label ?? 'the isolation worker'}: ${messageOf(error)}`, { cause: error });
          port.postMessage({ type: 'failed', id, error: errorToWire(coded) });
        };
        if (served === undefined) {
          fail(new InprocError('RUN_FAILED', 'the isolation worker has no model loaded'));
          return;
        }
        let pending: Promise<Outputs>;
        try {
          const feeds: Record<string, Tensor> = {};
          for (const [name, wire] of Object.entries(message.feeds)) feeds[name] = fromWire(wire);
          pending = served.session.run(feeds, { outputs: message.outputs });
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(outputsToWire).then((wire) => {
          // Outputs move to the main thread without a copy where their buffers can be transferred.
          try {
            port.postMessage({ type: 'result', id, outputs: wire }, transferables(Object.values(wire)));
          } catch {
            port.postMessage({ type: 'result', id, outputs: wire });
          }
        }, fail);
        return;
      }
      case 'dispose': {
        const session = served?.session;
        served = undefined;
        void (session === undefined ? Promise.resolve() : session.dispose()).then(
          () => port.postMessage({ type: 'disposed' }),
          () => port.postMessage({ type: 'disposed' }),
        );
        return;
      }
    }
  });
}

/** Reads the model (from its path, so files beside it are found, or its bytes) and loads it with every option the caller gave. */
async function load(request: LoadRequest): Promise<{ session: BackendSession; backend: string; label: string }> {
  const source = await resolveSource(request.path ?? request.bytes, { format: request.format });
  const { backend, session } = await loadWithBackends(source, {
    backend: request.backend,
    load: {
      device: request.device,
      backendOptions: request.backendOptions,
      ...(request.feeds === undefined ? {} : { feeds: feedsFromWire(request.feeds) }),
      ...(request.dims === undefined ? {} : { dims: request.dims }),
      ...(request.deviceChoice === undefined ? {} : { deviceChoice: request.deviceChoice }),
    },
  });
  return { session, backend: backend.name, label: `${backend.name} failed to run ${request.name}` };
}

/** A run's outputs for the main thread; outputs a backend kept in device memory are downloaded and freed here. */
async function outputsToWire(outputs: Outputs): Promise<Record<string, WireTensor>> {
  const wire: Record<string, WireTensor> = {};
  try {
    for (const [name, tensor] of Object.entries(outputs)) {
      wire[name] = { dtype: tensor.dtype, shape: tensor.shape, data: tensor.location === 'cpu' ? tensor.data : await tensor.getData() };
    }
  } finally {
    for (const tensor of Object.values(outputs)) if (tensor.location !== 'cpu') tensor.dispose();
  }
  return wire;
}
