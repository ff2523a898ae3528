/**
 * `loadModel`: read the source, sniff its format, let the registry choose a backend,
 * warm up, and wrap the session in a `Model`.
 * @module
 */
import type { BackendSession } from './backend.js';
import { listBackends, loadWithBackends } from './backend-registry.js';
import { checkResourceLimits, createWorkerPool, poolBackendName } from './execution/worker-pool.js';
import { type WireFeeds, feedsToWire } from './execution/worker-protocol.js';
import { checkBatching } from './execution/batching.js';
import { throwIfAborted } from './call-signal.js';
import { checkDeviceChoiceOptions } from './device-choice.js';
import { InprocError } from './errors.js';
import { callerStack } from './leak-reporter.js';
import type { BatchingOptions, LoadOptions, Model, WarmupOptions } from './model.js';
import { ModelImpl } from './model-impl.js';
import { type Processor, isProcessor } from './processing/processor.js';
import type { Feeds, Outputs, Signature } from './signature.js';
import { abortedOr, resolveSource, urlSource, type ModelInput } from './source.js';
import { describe } from './tensor.js';
import { warmUp, warmupOptions } from './warmup.js';

/**
 * Loads a model from a path, `file:`/`http(s):` URL, or bytes, with the first backend
 * that can (see {@link LoadOptions.backend}).
 *
 * ```ts
 * await using model = await loadModel('models/mlp.onnx');
 * const { y } = await model.run({ x: new Tensor('float32', data, [1, 256]) });
 * ```
 * @throws InprocError `MODEL_NOT_FOUND`, `MODEL_INVALID`, `FORMAT_UNKNOWN`, `BACKEND_UNAVAILABLE`, `DEVICE_UNAVAILABLE`, `ABORTED`, `INPUT_INVALID`
 */
export async function loadModel<I = Feeds, O = Outputs>(source: ModelInput, options: LoadOptions<I, O> = {}): Promise<Model<I, O>> {
  const loadedAt = callerStack();
  checkOptions(options);
  checkResourceLimits(options.workerResourceLimits);
  checkDeviceChoiceOptions(options.dims, options.deviceChoice);
  const { signal } = options;
  // A backend that takes URLs (a model server) reaches the model itself: nothing is read here.
  const names = typeof options.backend === 'string' ? [options.backend] : Array.isArray(options.backend) ? (options.backend as readonly string[]) : [];
  const byUrl = names.length > 0 && names.every((name) => listBackends().some((b) => b.name === name && b.takes === 'url'));
  if (byUrl && options.isolation === 'worker') throw new InprocError('INPUT_INVALID', `options.isolation 'worker' runs a local session; backend ${names.join(', ')} runs the model on a server`);
  const resolved = byUrl ? urlSource(source, options.format) : await resolveSource(source, { format: options.format, signal, onProgress: options.onProgress });
  throwIfAborted(signal, 'the load');
  const timingFeeds = typeof options.warmup === 'object' && options.warmup.feeds !== undefined ? firstFeeds(options.warmup.feeds) : undefined;
  let loaded: { backend: { name: string }; session: BackendSession };
  try {
    if (options.isolation === 'worker') {
      // The backend is chosen inside the workers, by their own registry, with every load
      // option; warm-up, processors and the rest run here, around the pool.
      const session = await createWorkerPool({
        workers: options.workers ?? 1,
        resourceLimits: checkResourceLimits(options.workerResourceLimits),
        signal,
        load: {
          bytes: resolved.bytes,
          ...(resolved.path === undefined ? {} : { path: resolved.path }),
          name: resolved.name,
          format: resolved.format,
          backend: options.backend,
          device: options.device ?? 'auto',
          backendOptions: options.backendOptions ?? {},
          ...workerTimingFeeds(timingFeeds, options.device),
          ...(options.dims === undefined ? {} : { dims: options.dims }),
          ...(options.deviceChoice === undefined ? {} : { deviceChoice: options.deviceChoice }),
        },
      });
      loaded = { backend: { name: poolBackendName(session) ?? 'worker' }, session };
    } else {
      loaded = await loadWithBackends(resolved, {
        backend: options.backend,
        load: {
          device: options.device ?? 'auto',
          backendOptions: options.backendOptions ?? {},
          ...(signal === undefined ? {} : { signal }),
          ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
          ...(timingFeeds === undefined ? {} : { feeds: timingFeeds }),
          ...(options.dims === undefined ? {} : { dims: options.dims }),
          ...(options.deviceChoice === undefined ? {} : { deviceChoice: options.deviceChoice }),
        },
      });
    }
  } catch (error) {
    throw abortedOr(error, signal);
  }
  let batching: BatchingOptions | undefined;
  try {
    batching = options.batching === undefined || options.batching === false ? undefined : checkBatching(options.batching, loaded.session.signature);
  } catch (error) {
    await loaded.session.dispose();
    throw error;
  }
  const model = new ModelImpl<I, O>({
    name: options.name ?? baseName(resolved.name),
    batching,
    cacheBytes: options.cache === undefined || options.cache === false ? undefined : options.cache.maxBytes,
    backend: loaded.backend.name,
    format: loaded.session.format ?? resolved.format,
    source: resolved.name,
    session: loaded.session,
    preprocess: asList(options.preprocess),
    postprocess: asList(options.postprocess),
    concurrency: options.concurrency ?? Math.max(1, loaded.session.concurrency),
    workers: options.isolation === 'worker' ? (options.workers ?? 1) : undefined,
    maxQueue: options.maxQueue ?? Number.POSITIVE_INFINITY,
    loadedAt,
  });
  try {
    await warmUp(model, warmupOptions(options.warmup), resolved.name, signal, options.dims);
    throwIfAborted(signal, 'the load');
  } catch (error) {
    await model.dispose();
    throw abortedOr(error, signal);
  }
  return model;
}

/** `mlp.onnx` from `/models/mlp.onnx`; a model directory's name for `<dir>/model.onnx`. */
function baseName(source: string): string {
  const parts = source.split(/[\\/]/).filter((p) => p !== '');
  const file = parts.at(-1) ?? source;
  return /^model\.(onnx|json)$/.test(file) && parts.length > 1 ? `${parts.at(-2)!}/${file}` : file;
}

function asList(processors: Processor<never, unknown> | readonly Processor[] | undefined): readonly Processor[] {
  if (processors === undefined) return [];
  const list = (Array.isArray(processors) ? processors : [processors]) as readonly Processor[];
  for (const p of list) {
    if (!isProcessor(p)) {
      throw new InprocError('INPUT_INVALID', `a processor needs a name and a process() function, got ${describe(p)}`);
    }
  }
  return list;
}

function checkOptions(options: Pick<LoadOptions, 'concurrency' | 'maxQueue' | 'warmup' | 'device' | 'backendOptions' | 'signal' | 'cache' | 'name' | 'isolation' | 'workers'>): void {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `loadModel options must be an object, got ${describe(options)}`);
  if (options.isolation !== undefined && options.isolation !== 'none' && options.isolation !== 'worker') {
    throw new InprocError('INPUT_INVALID', `options.isolation must be 'none' or 'worker', got ${describe(options.isolation)}`);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1 && options.workers <= 64)) {
    throw new InprocError('INPUT_INVALID', `options.workers must be an integer from 1 to 64, got ${describe(options.workers)}`);
  }
  const positiveInt = (name: string, value: unknown, allowInfinity: boolean): void => {
    if (value === undefined) return;
    const ok = typeof value === 'number' && ((Number.isInteger(value) && value >= 1) || (allowInfinity && value === Number.POSITIVE_INFINITY));
    if (!ok) throw new InprocError('INPUT_INVALID', `options.${name} must be a positive integer, got ${describe(value)}`);
  };
  positiveInt('concurrency', options.concurrency, false);
  if (options.maxQueue !== undefined && !(typeof options.maxQueue === 'number' && options.maxQueue >= 0 && (Number.isInteger(options.maxQueue) || options.maxQueue === Infinity))) {
    throw new InprocError('INPUT_INVALID', `options.maxQueue must be a non-negative integer, got ${describe(options.maxQueue)}`);
  }
  checkWarmup(options.warmup);
  if (options.device !== undefined && (typeof options.device !== 'string' || options.device === '')) {
    throw new InprocError('INPUT_INVALID', `options.device must be a device name or 'auto', got ${describe(options.device)}`);
  }
  if (options.backendOptions !== undefined && (typeof options.backendOptions !== 'object' || options.backendOptions === null)) {
    throw new InprocError('INPUT_INVALID', `options.backendOptions must be an object, got ${describe(options.backendOptions)}`);
  }
  if (options.cache !== undefined && options.cache !== false && (typeof options.cache !== 'object' || options.cache === null || !(Number.isInteger(options.cache.maxBytes) && options.cache.maxBytes > 0))) {
    throw new InprocError('INPUT_INVALID', `options.cache must be false or { maxBytes: positive integer }, got ${describe(options.cache)}`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InprocError('INPUT_INVALID', `options.name must be a non-empty string, got ${describe(options.name)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InprocError('INPUT_INVALID', `options.signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
}

function checkWarmup(warmup: LoadOptions['warmup']): void {
  const count = (n: unknown, min: number): boolean => n === undefined || (typeof n === 'number' && Number.isInteger(n) && n >= min);
  if (warmup === undefined || typeof warmup === 'boolean' || (typeof warmup === 'number' && count(warmup, 0))) return;
  const valid =
    typeof warmup === 'object' &&
    warmup !== null &&
    count(warmup.runs, 0) &&
    count(warmup.seed, 0) &&
    count(warmup.dynamicSize, 1) &&
    (warmup.data === undefined || warmup.data === 'zeros' || warmup.data === 'random') &&
    (warmup.feeds === undefined || typeof warmup.feeds === 'object' || typeof warmup.feeds === 'function');
  if (!valid) throw new InprocError('INPUT_INVALID', `options.warmup must be a boolean, a non-negative integer or { runs, feeds, data, seed, dynamicSize }, got ${describe(warmup)}`);
}

/**
 * `warmup.feeds` for the workers' `'fastest'` timing. Tensors are sent (cloned); a function
 * of the signature cannot cross to a thread, and the signature is only known once a worker
 * has loaded, so `'fastest'` refuses one (warm-up itself calls it here, on the caller's side).
 */
function workerTimingFeeds(feeds: Feeds | ((signature: Signature) => Feeds | Promise<Feeds>) | undefined, device: string | undefined): { feeds?: WireFeeds } {
  if (feeds === undefined) return {};
  if (typeof feeds !== 'function') return { feeds: feedsToWire(feeds, 'options.warmup.feeds') };
  if (device !== 'fastest') return {};
  throw new InprocError(
    'INPUT_INVALID',
    "options.warmup.feeds: a function cannot be sent to an isolation worker, where device 'fastest' times the devices; pass the feeds as tensors ({ name: Tensor } or a list of them), or use dims for synthesized ones",
  );
}

/** The warm-up feeds 'fastest' times a device on: the first set of a list. */
function firstFeeds(feeds: NonNullable<WarmupOptions['feeds']>): Feeds | ((signature: Signature) => Feeds | Promise<Feeds>) {
  return Array.isArray(feeds) ? (feeds as readonly Feeds[])[0]! : (feeds as Feeds | ((signature: Signature) => Feeds | Promise<Feeds>));
}
