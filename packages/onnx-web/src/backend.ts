/**
 * The onnxruntime-web backend: WASM everywhere, WebGPU and WebNN in browsers and
 * Electron renderers. This is the backend's code, imported by its descriptor
 * (`onnxWebBackend` in `descriptor.ts`) the first time the backend is a candidate;
 * onnxruntime-web is an optional peer, imported then too.
 * @module
 */
import { type DType, type Signature, InprocError, Tensor, bytesPerElement, isDType } from '@inproc/core';
import { type BackendLoadOptions, type BackendRunOptions, type BackendSession, type ModelSource, type ResourceLease, firstLine, onnxExternalDataFiles, openOnDevices, readExternalData, ortSessionInfo, ortStorage, trackResource } from '@inproc/core/backend';
import type * as Ort from 'onnxruntime-web';
import { DEVICE_LOCATION, ONNX_WEB_DEVICES, type OnnxWebDevice, isOnnxWebDevice } from './devices.js';
import { hasWebNn, isBrowserLike } from './environment.js';
import { type OnnxWebRuntimeOptions, RUNTIME_KEYS, checkRuntimeOptions } from './options.js';
import { isRuntimeFailure, runtimeUnavailable } from './runtime-files.js';
import { type OrtModule, exclusive, importOrt, onnxWebRuntimeOptions, probeWebGpu, startRuntime } from './runtime.js';

/** Whether onnxruntime-web can be imported here (`Backend.isAvailable` of `onnxWebBackend`, in `descriptor.ts`). */
export async function isAvailable(): Promise<boolean> {
  const ort = await importOrt();
  return typeof ort.InferenceSession?.create === 'function';
}

/**
 * The devices `device: 'auto'` would try here, in order: `webgpu` in a browser where
 * an adapter and a device were really obtained and the adapter is a GPU, then `wasm`.
 * A software adapter (SwiftShader in a GPU-less Chromium, `isFallbackAdapter`) is passed
 * over: it runs models on the CPU, slower than WASM (its first run about ten times
 * slower); `device: 'webgpu'` still uses it. WebNN is never chosen automatically (ask
 * for it by name).
 */
export async function autoDevices(): Promise<readonly OnnxWebDevice[]> {
  if (proxied()) return ['wasm'];
  const gpu = await probeWebGpu();
  return gpu.ok && !gpu.software ? ['webgpu', 'wasm'] : ['wasm'];
}

/** Whether onnxruntime-web runs in its proxy worker, which supports WASM only. */
function proxied(): boolean {
  return onnxWebRuntimeOptions()?.proxy === true;
}

type OutputLocation = Ort.Tensor.DataLocation;
type PreferredLocation = Ort.InferenceSession.SessionOptions['preferredOutputLocation'];

const LOCATIONS: readonly string[] = ['cpu', 'cpu-pinned', 'gpu-buffer', 'ml-tensor'];

/** Creates a session (`Backend.load` of `onnxWebBackend`). */
export async function loadSession(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  const { runtime, session: userOptions } = splitOptions(options.backendOptions);
  const ort = await startRuntime(runtime);
  const { executionProviders: userProviders, preferredOutputLocation, ...rest } = userOptions;
  checkLocation(preferredOutputLocation);
  // ORT would also log every error it returns; Inproc reports them as InprocErrors.
  // Pass logSeverityLevel (0 verbose .. 4 fatal) in backendOptions to see ORT's own log.
  const sessionOptions: Ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, ...rest };

  let attempts: OnnxWebDevice[];
  if (options.device === 'auto') {
    attempts = [...(await autoDevices())];
  } else {
    if (!isOnnxWebDevice(options.device)) throw new InprocError('DEVICE_UNAVAILABLE', `onnx-web has no device "${options.device}" (it has ${ONNX_WEB_DEVICES.join(', ')})`);
    const problem = await deviceProblem(options.device);
    if (problem !== undefined) throw new InprocError('DEVICE_UNAVAILABLE', problem);
    attempts = [options.device];
  }

  // onnxruntime-web reads no file itself: external data files are read beside the model (checked)
  // and handed over. Its Node build cannot mount them ("Module.MountedFiles is not available").
  if (!isBrowserLike() && (onnxExternalDataFiles(source.bytes)?.length ?? 0) > 0) {
    throw new InprocError('BACKEND_UNAVAILABLE', `${source.name}: onnxruntime-web's Node build cannot load a model's external data files; use the onnx-node backend in Node`);
  }
  const externalData = await readExternalData(source, options.signal);
  const createNow = (providers: readonly Ort.InferenceSession.ExecutionProviderConfig[], location: PreferredLocation): Promise<Ort.InferenceSession> =>
    // A copy: the proxy worker takes ownership of the buffer it is sent (and would detach the caller's).
    ort.InferenceSession.create(ort.env.wasm.proxy === true ? source.bytes.slice() : source.bytes, {
      ...sessionOptions,
      ...(externalData.length === 0 ? {} : { externalData: externalData.map((file) => ({ path: file.path, data: ort.env.wasm.proxy === true ? file.data.slice() : file.data })) }),
      ...(location === undefined ? {} : { preferredOutputLocation: location }),
      executionProviders: providers,
    });
  // A probe only asks whether the model loads at all: the device's own provider, CPU outputs.
  const open = (device: OnnxWebDevice, probe: boolean): (() => Promise<Ort.InferenceSession>) => {
    if (probe) return () => createNow([provider(device)], undefined);
    const providers = userProviders ?? [provider(device)];
    const location = locationFor(device, preferredOutputLocation, options.device === 'auto');
    return () => createNow(providers, location);
  };
  // Computed up front, so that a device memory location the demanded device lacks is an error of its own.
  const openers = new Map(attempts.map((device) => [device, open(device, false)] as const));
  // The runtime did not start: no other device helps. Told with the URLs of its files once out of the device loop.
  const notStarted = new WeakSet<InprocError>();
  const opened = await openOnDevices<Ort.InferenceSession>({
    runtime: 'onnxruntime-web',
    source: source.name,
    devices: attempts,
    fallback: 'wasm',
    signal: options.signal,
    create: (device, probe) => exclusive(probe ? open(device as OnnxWebDevice, true) : openers.get(device as OnnxWebDevice)!),
    release: (session) => exclusive(() => session.release()),
    fatal: (error) => {
      if (!isRuntimeFailure(error)) return undefined;
      const failure = new InprocError('BACKEND_UNAVAILABLE', firstLine(error), { cause: error });
      notStarted.add(failure);
      return failure;
    },
  }).catch(async (error: unknown) => {
    throw InprocError.is(error) && notStarted.has(error) ? await runtimeUnavailable(error.cause, ort.env.wasm.wasmPaths) : error;
  });
  const device = opened.device as OnnxWebDevice;
  try {
    return new OnnxWebSession(ort, opened.session, source, device, opened.failures, openers.get(device)!);
  } catch (error) {
    await exclusive(() => opened.session.release());
    throw error;
  }
}

/** Why an explicitly requested device cannot be used here, or `undefined`. */
async function deviceProblem(device: OnnxWebDevice): Promise<string | undefined> {
  if (device === 'wasm') return undefined;
  if (!isBrowserLike()) return `onnx-web: device "${device}" needs a browser or an Electron renderer; in Node onnxruntime-web runs WASM only (for a GPU in Node use onnx-node)`;
  if (proxied()) return `onnx-web: device "${device}" is not available with the proxy worker (proxy: true), which runs WASM only`;
  if (device === 'webgpu') {
    const gpu = await probeWebGpu();
    return gpu.ok ? undefined : `onnx-web: WebGPU is not available: ${gpu.reason}`;
  }
  return hasWebNn() ? undefined : 'onnx-web: WebNN is not available in this browser (navigator.ml is missing; in Chromium it is behind a flag)';
}

function provider(device: OnnxWebDevice): Ort.InferenceSession.ExecutionProviderConfig {
  return device === 'webnn' ? { name: 'webnn', deviceType: 'gpu' } : device;
}

/**
 * The output location to ask ORT for on this device. Device memory on a device that has
 * none is an error when that device was demanded, and plain CPU outputs after an
 * automatic fallback to WASM (the tensors' `location` says so).
 */
function locationFor(device: OnnxWebDevice, wanted: PreferredLocation, auto: boolean): PreferredLocation {
  if (wanted === undefined) return undefined;
  const values = typeof wanted === 'string' ? [wanted] : Object.values(wanted);
  const own = DEVICE_LOCATION[device];
  const foreign = values.find((v) => v !== 'cpu' && v !== 'cpu-pinned' && v !== own);
  if (foreign === undefined) return wanted;
  if (auto && device === 'wasm') return undefined;
  throw new InprocError('INPUT_INVALID', `backendOptions.preferredOutputLocation "${foreign}" is not available on device ${device} (${own === 'cpu' ? 'its outputs are CPU data' : `it keeps outputs as "${own}"`})`);
}

function checkLocation(wanted: unknown): void {
  if (wanted === undefined) return;
  const ok = (v: unknown): boolean => typeof v === 'string' && LOCATIONS.includes(v);
  if (typeof wanted === 'string' ? ok(wanted) : typeof wanted === 'object' && wanted !== null && !Array.isArray(wanted) && Object.values(wanted).every(ok)) return;
  throw new InprocError('INPUT_INVALID', `backendOptions.preferredOutputLocation must be one of ${LOCATIONS.join(', ')} or a record of output name to location, got ${JSON.stringify(wanted)}`);
}

function splitOptions(backendOptions: Readonly<Record<string, unknown>>): { runtime: OnnxWebRuntimeOptions; session: Ort.InferenceSession.SessionOptions } {
  const runtime: Record<string, unknown> = {};
  const session: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(backendOptions)) {
    if ((RUNTIME_KEYS as readonly string[]).includes(key)) runtime[key] = value;
    else session[key] = value;
  }
  return { runtime: checkRuntimeOptions(runtime, 'backendOptions'), session: session };
}

/** Core tensors that this backend made from ORT tensors kept in device memory, for feeding them back without a copy. */
const deviceOrtTensors = new WeakMap<Tensor, Ort.Tensor>();

class OnnxWebSession implements BackendSession {
  readonly signature: Signature;
  readonly device: string;
  readonly bytes: number;
  /**
   * ORT-web must not be entered concurrently ("Session already started"); `exclusive()`
   * enforces it even if a caller raises `concurrency`.
   */
  readonly concurrency = 1;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #ort: OrtModule;
  #session: Ort.InferenceSession;
  /** Creates a replacement ORT session (called inside `exclusive()`). */
  readonly #recreate: () => Promise<Ort.InferenceSession>;
  readonly #label: string;
  /** Set when the session cannot run any more (see `#renew`). */
  #broken: string | undefined;
  /** Outputs still in device memory; disposed with the session at the latest. */
  readonly #deviceOutputs = new Set<Tensor>();

  constructor(ort: OrtModule, session: Ort.InferenceSession, source: ModelSource, device: OnnxWebDevice, fallbacks: readonly string[], recreate: () => Promise<Ort.InferenceSession>) {
    this.#ort = ort;
    this.#session = session;
    this.#recreate = recreate;
    this.device = device;
    this.bytes = source.bytes.byteLength;
    this.#label = `onnx-web/${device} ${source.name}`;
    ({ signature: this.signature, metadata: this.metadata } = ortSessionInfo(session, source, fallbacks));
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    // Device tensors this backend did not make (another backend's) are read back first, outside the turn-taking.
    const downloaded = new Map<string, Ort.Tensor.DataType>();
    for (const [name, tensor] of Object.entries(feeds)) {
      if (tensor.location !== 'cpu' && !deviceOrtTensors.has(tensor)) downloaded.set(name, (await tensor.getData()));
    }
    return exclusive(() => this.#run(feeds, downloaded, options));
  }

  async #run(feeds: Readonly<Record<string, Tensor>>, downloaded: ReadonlyMap<string, Ort.Tensor.DataType>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    if (this.#broken !== undefined) throw new InprocError('RUN_FAILED', `${this.#label}: ${this.#broken}; load the model again`);
    // Aborted while waiting for its turn: core already rejected the call, so do not run it.
    if (options.signal?.aborted === true) throw new InprocError('ABORTED', `${this.#label}: the call was aborted before it ran`);
    const ortFeeds: Record<string, Ort.Tensor> = {};
    const leases: ResourceLease[] = [];
    const made: Ort.Tensor[] = [];
    try {
      for (const [name, tensor] of Object.entries(feeds)) {
        const onDevice = tensor.location === 'cpu' ? undefined : deviceOrtTensors.get(tensor);
        if (onDevice !== undefined) {
          ortFeeds[name] = onDevice; // stays on the GPU: no download, no upload
          continue;
        }
        if (tensor.disposed) throw new InprocError('DISPOSED', `${this.#label}: input "${name}" was disposed while the call waited`);
        const data = downloaded.get(name) ?? (tensor.data);
        // The proxy worker takes ownership of the buffers it is sent: without a copy the caller's tensor would be emptied.
        const value = new this.#ort.Tensor(tensor.dtype, this.#ort.env.wasm.proxy === true ? (data.slice()) : data, tensor.shape);
        made.push(value);
        ortFeeds[name] = value;
        leases.push(trackResource('tensor', 0, `${this.#label} input ${name}`));
      }
      let results: Ort.InferenceSession.ReturnType;
      try {
        results = await this.#session.run(ortFeeds, [...options.outputs]);
      } catch (error) {
        if (this.device === 'webgpu') await this.#renew();
        throw new InprocError('RUN_FAILED', `${this.#label}: ${firstLine(error)}`, { cause: error });
      }
      const outputs: Record<string, Tensor> = {};
      try {
        for (const name of options.outputs) {
          const value = results[name];
          if (value === undefined) throw new InprocError('RUN_FAILED', `${this.#label}: onnxruntime-web returned no output "${name}"`);
          outputs[name] = this.#toCoreTensor(value, name);
        }
        // Core drops the result of a call aborted while it ran: device outputs would leak.
        options.signal?.throwIfAborted();
      } catch (error) {
        for (const value of Object.values(results)) value.dispose();
        for (const tensor of Object.values(outputs)) tensor.dispose();
        throw error;
      }
      return outputs;
    } finally {
      for (const value of made) value.dispose();
      for (const lease of leases) lease.release();
    }
  }

  #toCoreTensor(value: Ort.Tensor, name: string): Tensor {
    const dtype = value.type as DType;
    if (!isDType(dtype)) {
      value.dispose();
      throw new InprocError('RUN_FAILED', `${this.#label}: output "${name}" has element type ${value.type}, which Inproc tensors do not support`);
    }
    const location: OutputLocation = value.location;
    if (location === 'cpu' || location === 'cpu-pinned') {
      // ORT-web copies outputs out of the WASM heap into a fresh array: handed over without another copy.
      const tensor = new Tensor(dtype, ortStorage(dtype, value.data), value.dims);
      value.dispose();
      return tensor;
    }
    if (location !== 'gpu-buffer' && location !== 'ml-tensor') {
      value.dispose();
      throw new InprocError('RUN_FAILED', `${this.#label}: output "${name}" came back in ${location} memory, which Inproc does not read`);
    }
    if (dtype === 'string') {
      value.dispose();
      throw new InprocError('RUN_FAILED', `${this.#label}: output "${name}" is a string tensor in ${location} memory`);
    }
    const bytes = bytesPerElement(dtype) * value.size;
    const lease = trackResource('tensor', bytes, `${this.#label} output ${name} (${location})`);
    const tensor = Tensor.fromDevice(dtype, value.dims, {
      location,
      bytes,
      native: value,
      // Taking turns with runs: a GPU read-back must not interleave with a suspended WebGPU run.
      download: () => exclusive(async () => ortStorage(dtype, await value.getData())),
      release: () => {
        this.#deviceOutputs.delete(tensor);
        deviceOrtTensors.delete(tensor);
        value.dispose();
        lease.release();
      },
    });
    this.#deviceOutputs.add(tensor);
    deviceOrtTensors.set(tensor, value);
    return tensor;
  }

  /**
   * onnxruntime-web 1.30's WebGPU (JSEP) build never returns from the next run of a
   * session whose run failed (it blocks the page). Such a session is replaced by a fresh
   * one from the same bytes and options, so that the model stays usable, as on WASM.
   */
  async #renew(): Promise<void> {
    const old = this.#session;
    try {
      this.#session = await this.#recreate();
    } catch (error) {
      this.#broken = `the session could not be recreated after a failed run: ${firstLine(error)}`;
      return;
    }
    await old.release();
  }

  async dispose(): Promise<void> {
    await exclusive(async () => {
      for (const tensor of [...this.#deviceOutputs]) tensor.dispose();
      await this.#session.release();
    });
  }
}

