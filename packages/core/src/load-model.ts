/**
 * `loadModel`: read the source, sniff its format, let the registry choose a backend,
 * warm up, and wrap the session in a `Model`.
 * @module
 */
import type { BackendSession } from './backend.js';
import { listBackends, loadWithBackends } from './backend-registry.js';
import { createWorkerPool, poolBackendName } from './worker-pool.js';
import { type BatchingOptions, checkBatching } from './batching.js';
import { throwIfAborted } from './call-signal.js';
import { InprocError, messageOf } from './errors.js';
import { callerStack } from './leak-reporter.js';
import type { LoadOptions, Model } from './model.js';
import { ModelImpl } from './model-impl.js';
import type { Processor } from './processor.js';
import { type Feeds, type Outputs, validateFeeds } from './signature.js';
import { abortedOr, resolveSource, urlSource, type ModelInput } from './source.js';
import { describe } from './tensor.js';
import { zeroFeeds } from './warmup.js';

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
  const { signal } = options;
  // A backend that takes URLs (a model server) reaches the model itself: nothing is read here.
  const names = typeof options.backend === 'string' ? [options.backend] : Array.isArray(options.backend) ? (options.backend as readonly string[]) : [];
  const byUrl = names.length > 0 && names.every((name) => listBackends().some((b) => b.name === name && b.takes === 'url'));
  if (byUrl && options.isolation === 'worker') throw new InprocError('INPUT_INVALID', `options.isolation 'worker' runs a local session; backend ${names.join(', ')} runs the model on a server`);
  const resolved = byUrl ? urlSource(source, options.format) : await resolveSource(source, { format: options.format, signal, onProgress: options.onProgress });
  throwIfAborted(signal, 'the load');
  let loaded: { backend: { name: string }; session: BackendSession };
  try {
    if (options.isolation === 'worker') {
      // The backend is chosen inside the workers, by their own registry.
      const session = await createWorkerPool({
        workers: options.workers ?? 1,
        resourceLimits: options.workerResourceLimits,
        signal,
        load: { bytes: resolved.bytes, name: resolved.name, format: resolved.format, backend: options.backend, device: options.device ?? 'auto', backendOptions: options.backendOptions ?? {} },
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
    maxQueue: options.maxQueue ?? Number.POSITIVE_INFINITY,
    loadedAt,
  });
  const warmup = options.warmup;
  const runs = warmup === true ? 1 : warmup === false || warmup === undefined ? 0 : typeof warmup === 'number' ? warmup : (warmup.runs ?? 1);
  try {
    if (runs > 0) {
      const given = typeof warmup === 'object' ? warmup.feeds : undefined;
      for (let i = 0; i < runs; i++) {
        throwIfAborted(signal, 'the load');
        const made = typeof given === 'function' ? given(model.signature) : given;
        const feeds = made === undefined ? zeroFeeds(model.signature) : validateFeeds(model.signature, made);
        const outputs = await loaded.session.run(feeds, { outputs: model.signature.outputs.map((o) => o.name) });
        // Warm-up results are nobody's: free them now (device outputs would otherwise live until dispose).
        for (const tensor of Object.values(outputs)) tensor.dispose();
      }
    }
    throwIfAborted(signal, 'the load');
  } catch (error) {
    await model.dispose();
    if (signal?.aborted === true) throw abortedOr(error, signal);
    if (InprocError.is(error) && error.code.startsWith('INPUT_')) throw error;
    const hint = typeof warmup === 'object' && warmup.feeds !== undefined ? '' : ' (on zero inputs with symbolic dimensions 1; pass warmup: { feeds } if the model needs other inputs)';
    throw new InprocError('RUN_FAILED', `warm-up of ${resolved.name} failed${hint}: ${messageOf(error)}`, { cause: error });
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
    if (typeof p !== 'object' || p === null || typeof p.process !== 'function') {
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
  const { warmup } = options;
  const count = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  const validWarmup =
    warmup === undefined || typeof warmup === 'boolean' || count(warmup) || (typeof warmup === 'object' && warmup !== null && (warmup.runs === undefined || count(warmup.runs)));
  if (!validWarmup) throw new InprocError('INPUT_INVALID', `options.warmup must be a boolean, a non-negative integer or { runs, feeds }, got ${describe(warmup)}`);
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
