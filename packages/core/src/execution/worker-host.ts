/**
 * The worker side of `isolation: 'worker'`: loads the model with the backends
 * registered in the worker and answers run requests. Started by a worker entry module
 * that registers backends first (e.g. `inproc`'s `worker.js`).
 * @module
 */
import { loadModel } from '../load-model.js';
import type { Model } from '../model.js';
import { isNode, nodeImport } from '../platform.js';
import { type FromWorker, type ToWorker, errorToWire, fromWire, toWire, transferables } from './worker-protocol.js';
import type { Tensor } from '../tensor.js';

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
  let model: Model | undefined;
  port.on('message', (message) => {
    void (async () => {
      switch (message.type) {
        case 'load':
          try {
            model = await loadModel(message.path ?? message.bytes, {
              format: message.format,
              device: message.device,
              backendOptions: message.backendOptions,
              name: message.name,
              ...(message.backend === undefined ? {} : { backend: message.backend }),
            });
            port.postMessage({ type: 'loaded', signature: model.signature, backend: model.backend, device: model.device, bytes: message.bytes.byteLength, metadata: model.metadata });
          } catch (error) {
            port.postMessage({ type: 'load-failed', error: errorToWire(error) });
          }
          return;
        case 'run':
          try {
            const feeds: Record<string, Tensor> = {};
            for (const [name, wire] of Object.entries(message.feeds)) feeds[name] = fromWire(wire);
            const outputs = await model!.run(feeds, { outputs: message.outputs });
            const wire = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, toWire(t)]));
            // Outputs move to the main thread without a copy where their buffers can be transferred.
            try {
              port.postMessage({ type: 'result', id: message.id, outputs: wire }, transferables(Object.values(wire)));
            } catch {
              port.postMessage({ type: 'result', id: message.id, outputs: wire });
            }
          } catch (error) {
            port.postMessage({ type: 'failed', id: message.id, error: errorToWire(error) });
          }
          return;
        case 'dispose':
          await model?.dispose();
          port.postMessage({ type: 'disposed' });
          return;
      }
    })();
  });
}
