/**
 * The onnxruntime-node backend. onnxruntime-node is an optional peer: it is imported
 * the first time the backend is a candidate, and a missing package is reported by name.
 * @module
 */
import {
  type Backend,
  type BackendLoadOptions,
  type BackendRunOptions,
  type BackendSession,
  type DType,
  type ModelSource,
  type Signature,
  InprocError,
  Tensor,
  firstLine,
  isDType,
  lazyPeer,
  openOnDevices,
  ortSessionInfo,
  resolveExternalData,
} from '@inproc/core';
import type * as Ort from 'onnxruntime-node';
import { AUTO_ORDER, EXECUTION_PROVIDERS, type OnnxNodeDevice, type SupportedProvider, deviceProblem } from './devices.js';

type OrtModule = typeof Ort;

// Absent where cross-origin isolation is off (browsers); Node always has it.
const SharedArrayBufferClass: abstract new (...args: never[]) => object = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : class Never {};


/** Imports onnxruntime-node once. @internal */
export const importOrt = lazyPeer<OrtModule>('onnxruntime-node', () => import('onnxruntime-node'), { neededBy: 'onnx-node' });

const DEVICES = Object.keys(EXECUTION_PROVIDERS) as OnnxNodeDevice[];

/** The onnx-node backend object, registered by `inproc` in Node. */
export const onnxNodeBackend: Backend = {
  name: 'onnx-node',
  priority: 100,
  formats: ['onnx'],
  devices: DEVICES,
  // SessionOptions that name no file (optimizedModelFilePath, profileFilePrefix), take no provider
  // objects (TensorRT cache paths) and no free-form config entries (extra).
  manifestOptions: ['intraOpNumThreads', 'interOpNumThreads', 'graphOptimizationLevel', 'executionMode', 'enableCpuMemArena', 'enableMemPattern', 'logSeverityLevel', 'logVerbosityLevel', 'freeDimensionOverrides', 'executionProviders'],
  async isAvailable() {
    const ort = await importOrt();
    return typeof ort.InferenceSession?.create === 'function';
  },
  load: loadSession,
};

/** The devices `device: 'auto'` would try here, in order (always ending with `cpu`). */
export async function autoDevices(): Promise<readonly OnnxNodeDevice[]> {
  const ort = await importOrt();
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];
  return [...AUTO_ORDER.filter((d) => deviceProblem(d, supported) === undefined), 'cpu'];
}

async function loadSession(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  const ort = await importOrt();
  const { executionProviders: userProviders, ...userOptions } = options.backendOptions as Ort.InferenceSession.SessionOptions;
  // ORT would also print every error it returns to stderr; Inproc reports them as InprocErrors.
  // Pass logSeverityLevel (0 verbose .. 4 fatal) in backendOptions to see ORT's own log.
  const sessionOptions: Ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, ...userOptions };
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];

  let attempts: OnnxNodeDevice[];
  if (options.device === 'auto') {
    attempts = [...(await autoDevices())];
  } else {
    const device = options.device as OnnxNodeDevice;
    if (!DEVICES.includes(device)) throw new InprocError('DEVICE_UNAVAILABLE', `onnx-node has no device "${options.device}" (it has ${DEVICES.join(', ')})`);
    const problem = deviceProblem(device, supported);
    if (problem !== undefined) throw new InprocError('DEVICE_UNAVAILABLE', problem);
    attempts = [device];
  }

  // A model with external data loads from its path, so that onnxruntime reads those files from
  // the model's directory (checked first), never from the process's working directory.
  const model = (await resolveExternalData(source)).length > 0 ? source.path! : source.bytes;
  const opened = await openOnDevices<Ort.InferenceSession>({
    runtime: 'onnxruntime',
    source: source.name,
    devices: attempts,
    fallback: 'cpu',
    signal: options.signal,
    create: (device, probe) =>
      createSession(ort, model, { ...sessionOptions, executionProviders: probe ? [EXECUTION_PROVIDERS[device as OnnxNodeDevice]] : (userProviders ?? [EXECUTION_PROVIDERS[device as OnnxNodeDevice]]) }),
    release: (session) => session.release(),
  });
  try {
    return new OnnxNodeSession(ort, opened.session, source, opened.device as OnnxNodeDevice, opened.failures);
  } catch (error) {
    await opened.session.release();
    throw error;
  }
}

/** A session from a model's bytes, or from its path when its external data must be found beside it. */
function createSession(ort: OrtModule, model: Uint8Array | string, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

class OnnxNodeSession implements BackendSession {
  readonly signature: Signature;
  readonly device: string;
  readonly bytes: number;
  readonly concurrency = 1; // onnxruntime-node runs synchronously on the JS thread
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #handler: SessionHandler | undefined;
  /** Fetches naming every output, made once. */
  readonly #allOutputs: Readonly<Record<string, null>>;
  readonly #label: string;

  constructor(ort: OrtModule, session: Ort.InferenceSession, source: ModelSource, device: OnnxNodeDevice, fallbacks: readonly string[]) {
    this.#ort = ort;
    this.#session = session;
    this.#handler = sessionHandler(session);
    this.device = device;
    this.bytes = source.bytes.byteLength;
    this.#label = `onnx-node ${source.name}`;
    ({ signature: this.signature, metadata: this.metadata } = ortSessionInfo(session, source, fallbacks));
    this.#allOutputs = Object.fromEntries(this.signature.outputs.map((o) => [o.name, null]));
  }

  run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    // The hot path of every Model.run: wrap, run, unwrap, with one continuation.
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const name in feeds) {
      const tensor = feeds[name]!;
      const data = tensor.data;
      // Wraps the caller's typed array (no copy). It lives in JS memory, so it is not a native tensor of the ledger.
      // onnxruntime-node refuses shared memory ("Invalid argument"): such inputs are copied.
      ortFeeds[name] = new this.#ort.Tensor(tensor.dtype, Array.isArray(data) || !(data.buffer instanceof SharedArrayBufferClass) ? data : data.slice(), tensor.shape);
    }
    const { outputs } = options;
    // Ask only for a subset when one was requested: ORT computes just what those need.
    const fetches = outputs.length === this.signature.outputs.length ? this.#allOutputs : Object.fromEntries(outputs.map((name) => [name, null]));
    const pending = this.#handler === undefined ? this.#session.run(ortFeeds, fetches) : this.#handler.run(ortFeeds, fetches, {});
    return pending.then(
      (results) => {
        const converted: Record<string, Tensor> = {};
        for (const name of outputs) {
          const value = results[name];
          if (value === undefined) throw new InprocError('RUN_FAILED', `${this.#label}: onnxruntime returned no output "${name}"`);
          try {
            converted[name] = toCoreTensor(value, name, this.#label);
          } finally {
            // A CPU output's data is ordinary GC-managed memory now owned by the core tensor;
            // only device-located outputs hold something dispose() must free.
            if (value.location !== 'cpu') value.dispose();
          }
        }
        return converted;
      },
      (error: unknown) => {
        throw new InprocError('RUN_FAILED', `${this.#label}: ${firstLine(error)}`, { cause: error });
      },
    );
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** The part of onnxruntime-common's session handler that `InferenceSession.run` calls. */
interface SessionHandler {
  run(feeds: Record<string, Ort.Tensor>, fetches: Readonly<Record<string, null>>, options: Ort.InferenceSession.RunOptions): Promise<Record<string, Ort.Tensor>>;
}

/**
 * The session's handler, when this onnxruntime has one: `InferenceSession.run` re-checks the
 * feeds and fetches Inproc has already validated against the signature, adds an async frame
 * and copies the results record before calling exactly this, with the same arguments. On a
 * model that runs in tens of microseconds that is ~1 µs a call (benchmarks/overhead). Absent
 * (another onnxruntime layout): the public run().
 */
function sessionHandler(session: Ort.InferenceSession): SessionHandler | undefined {
  const handler = (session as unknown as { handler?: { run?: unknown } }).handler;
  return typeof handler === 'object' && handler !== null && typeof handler.run === 'function' ? (handler as SessionHandler) : undefined;
}

function toCoreTensor(value: Ort.Tensor, name: string, label: string): Tensor {
  const dtype = value.type as DType;
  if (!isDType(dtype)) throw new InprocError('RUN_FAILED', `${label}: output "${name}" has element type ${value.type}, which Inproc tensors do not support`);
  // The output's typed array is handed over as is (zero copy); ORT keeps no reference to CPU outputs.
  return new Tensor(dtype, value.data, value.dims);
}
