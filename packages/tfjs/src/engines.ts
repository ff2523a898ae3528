/**
 * The TF.js engine of the process. TF.js keeps one active backend per process
 * (`tf.setBackend` is global, and a tensor read by an op on another backend is silently
 * moved there), so Inproc runs one engine at a time: a load may switch engines only
 * while no Inproc model holds tensors on the current one; otherwise a load that names
 * another device is refused with `DEVICE_UNAVAILABLE`, and `device: 'auto'` uses the
 * engine already active. Activation is serialised, since `setBackend` is asynchronous.
 * The state lives on `globalThis`, shared by duplicate copies of this package.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';
import { messageOf, globalSingleton } from '@inproc/core/backend';
import { importNodeBinding, importTfjs, importWasm, importWebgpu, isNode, nodeModules, type TfApi } from './tf-modules.js';
import type { TfjsDevice, TfjsEngine, TfjsEngineState } from './types.js';

interface EngineSpec {
  readonly device: TfjsDevice;
  /** The name TF.js registers the backend under. */
  readonly tfBackend: string;
  /** The package a user installs to get it. */
  readonly pkg: string;
}

/** @internal */
export const ENGINES: Readonly<Record<TfjsEngine, EngineSpec>> = {
  'tensorflow-gpu': { device: 'cuda', tfBackend: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu' },
  tensorflow: { device: 'cpu', tfBackend: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
  webgpu: { device: 'webgpu', tfBackend: 'webgpu', pkg: '@tensorflow/tfjs-backend-webgpu' },
  webgl: { device: 'webgl', tfBackend: 'webgl', pkg: '@tensorflow/tfjs' },
  wasm: { device: 'wasm', tfBackend: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm' },
  cpu: { device: 'cpu', tfBackend: 'cpu', pkg: '@tensorflow/tfjs' },
};

/** Engines tried for each device, in order; `auto` is every engine, fastest first. */
const DEVICE_ENGINES: Readonly<Record<TfjsDevice | 'auto', readonly TfjsEngine[]>> = {
  cuda: ['tensorflow-gpu'],
  cpu: ['tensorflow', 'cpu'],
  webgpu: ['webgpu'],
  webgl: ['webgl'],
  wasm: ['wasm'],
  auto: ['tensorflow-gpu', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'],
};

interface Holder {
  readonly engine: TfjsEngine;
  readonly label: string;
}

interface EngineRegistry {
  active: TfjsEngine | undefined;
  api: TfApi | undefined;
  readonly holders: Set<Holder>;
  /** Tail of the chain that serialises activations. */
  lock: Promise<unknown>;
  wasmConfigured: boolean;
}

function registry(): EngineRegistry {
  return globalSingleton<EngineRegistry>('inproc.tfjs.engine', () => ({ active: undefined, api: undefined, holders: new Set(), lock: Promise.resolve(), wasmConfigured: false }));
}

/** An engine held by one model; `release()` is idempotent. @internal */
export interface EngineLease {
  readonly engine: TfjsEngine;
  readonly device: TfjsDevice;
  readonly tf: TfApi;
  /** Engines tried before this one under `auto` / `cpu`, with the reason each was passed over. */
  readonly skipped: readonly string[];
  /** Throws `RUN_FAILED` when other code switched TF.js to another backend since. */
  check(): void;
  release(): void;
}

/** @internal */
export interface AcquireOptions {
  readonly device: string;
  readonly label: string;
  readonly wasmPaths?: string | Readonly<Record<string, string>> | undefined;
}

/** Activates (or reuses) the engine for a device and registers the caller as a holder. @internal */
export function acquireEngine(options: AcquireOptions): Promise<EngineLease> {
  const state = registry();
  const next = state.lock.then(() => acquire(state, options));
  state.lock = next.catch(() => undefined);
  return next;
}

async function acquire(state: EngineRegistry, options: AcquireOptions): Promise<EngineLease> {
  const device = options.device as TfjsDevice | 'auto';
  const candidates = DEVICE_ENGINES[device];
  if (candidates === undefined) {
    throw new InprocError('DEVICE_UNAVAILABLE', `tfjs has no device "${options.device}" (it has ${Object.keys(DEVICE_ENGINES).filter((d) => d !== 'auto').join(', ')})`);
  }
  const busy = state.active !== undefined && [...state.holders].some((h) => h.engine === state.active) ? state.active : undefined;
  let order: readonly TfjsEngine[] = candidates;
  if (busy !== undefined) {
    if (device === 'auto' || candidates.includes(busy)) order = [busy];
    else throw new InprocError('DEVICE_UNAVAILABLE', conflictMessage(state, busy, options.device), { details: { activeEngine: busy } });
  }
  const skipped: string[] = [];
  for (const engine of order) {
    try {
      const tf = await activate(state, engine, options);
      return lease(state, engine, tf, options.label, skipped);
    } catch (error) {
      if (!InprocError.is(error, 'DEVICE_UNAVAILABLE')) throw error;
      skipped.push(`${engine}: ${error.message}`);
    }
  }
  const what = device === 'auto' ? 'no TensorFlow.js engine could be initialised' : `device "${device}" is not available`;
  throw new InprocError('DEVICE_UNAVAILABLE', `tfjs: ${what}:\n  ${skipped.join('\n  ')}`, { details: { skipped } });
}

function conflictMessage(state: EngineRegistry, busy: TfjsEngine, device: string): string {
  const holders = [...state.holders].filter((h) => h.engine === busy).map((h) => h.label);
  const list = holders.slice(0, 3).join(', ') + (holders.length > 3 ? `, and ${holders.length - 3} more` : '');
  return (
    `tfjs: TensorFlow.js runs one engine per process, and ${holders.length} model(s) hold tensors on the ${busy} engine (device "${ENGINES[busy].device}"): ${list}. ` +
    `Dispose them before loading on device "${device}", or load this model with device "${ENGINES[busy].device}" or "auto"`
  );
}

function lease(state: EngineRegistry, engine: TfjsEngine, tf: TfApi, label: string, skipped: readonly string[]): EngineLease {
  const holder: Holder = { engine, label };
  state.holders.add(holder);
  const { tfBackend, device } = ENGINES[engine];
  return {
    engine,
    device,
    tf,
    skipped,
    check() {
      const current = safeGetBackend(tf);
      if (current !== tfBackend) {
        throw new InprocError(
          'RUN_FAILED',
          `${label}: the TensorFlow.js backend was switched to "${current ?? 'none'}" outside Inproc, but this model's weights live on "${tfBackend}"; TF.js runs one backend per process, so switch it back (tf.setBackend("${tfBackend}")) or dispose this model first`,
        );
      }
    },
    release() {
      state.holders.delete(holder);
    },
  };
}

function safeGetBackend(tf: TfApi): string | undefined {
  try {
    return tf.getBackend();
  } catch {
    return undefined;
  }
}

async function activate(state: EngineRegistry, engine: TfjsEngine, options: AcquireOptions): Promise<TfApi> {
  const { tfBackend, device } = ENGINES[engine];
  let tf: TfApi;
  switch (engine) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      if (!isNode()) throw unavailable(`${ENGINES[engine].pkg} runs in Node only`);
      if (engine === 'tensorflow-gpu') await checkNvidiaDevice();
      tf = await importNodeBinding(engine === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu', device);
      break;
    }
    case 'webgpu': {
      tf = await importTfjs();
      if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === undefined) throw unavailable('WebGPU is not available here (no navigator.gpu)');
      await importWebgpu();
      break;
    }
    case 'webgl': {
      tf = await importTfjs();
      // TF.js registers its WebGL backend only where it finds a browser.
      if (tf.findBackendFactory('webgl') == null) throw unavailable('WebGL is not available here (TF.js registers it in browsers only)');
      break;
    }
    case 'wasm': {
      tf = await importTfjs();
      const wasm = await importWasm();
      if (!state.wasmConfigured && tf.findBackend('wasm') == null) {
        const paths = options.wasmPaths ?? (await installedWasmDirectory());
        // Without paths (a browser and no wasmPaths) TF.js loads the binaries next to its script.
        if (paths !== undefined) wasm.setWasmPaths(paths);
        state.wasmConfigured = true;
      }
      break;
    }
    case 'cpu':
      tf = await importTfjs();
      break;
  }
  if (state.active === engine && safeGetBackend(tf) === tfBackend) return tf;
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfBackend);
    if (ok) await tf.ready();
  } catch (error) {
    throw unavailable(`TensorFlow.js could not initialise its ${tfBackend} backend: ${messageOf(error)}`, error);
  }
  if (!ok || safeGetBackend(tf) !== tfBackend) throw unavailable(`TensorFlow.js could not initialise its ${tfBackend} backend`);
  if (engine === 'cpu' && isNode()) quietNodeBanner(tf);
  state.active = engine;
  state.api = tf;
  return tf;
}

/**
 * TF.js's CPU backend prints a banner ("install our node backend ...") on its first use in
 * Node, into the output of every program and test that uses it. Inproc already says which
 * engine ran and why the faster ones were passed over (`tfjsEngineState()`, the `skipped`
 * list, `DEVICE_UNAVAILABLE` naming `@tensorflow/tfjs-node`), so the banner is marked as
 * shown. `firstUse` is the backend's own flag (private in its types); when a TF.js version
 * lacks it, nothing changes.
 */
function quietNodeBanner(tf: TfApi): void {
  const backend = tf.findBackend('cpu') as { firstUse?: unknown } | null;
  if (backend !== null && backend.firstUse === true) backend.firstUse = false;
}

function unavailable(message: string, cause?: unknown): InprocError {
  return new InprocError('DEVICE_UNAVAILABLE', message, cause === undefined ? {} : { cause });
}

/** The directory of the installed WASM binaries, in Node; `undefined` in browsers. */
async function installedWasmDirectory(): Promise<string | undefined> {
  if (!isNode()) return undefined;
  const { createRequire, dirname, sep } = await nodeModules();
  // The package's main file sits in dist/, beside the .wasm binaries.
  return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + sep;
}

/**
 * libtensorflow's GPU build falls back to the CPU without a word when no GPU is
 * visible; on Linux, refuse `cuda` unless the NVIDIA driver's device node exists, so
 * that `model.device` never claims a GPU that is not there.
 */
async function checkNvidiaDevice(): Promise<void> {
  const proc = (globalThis as { process?: { platform?: string } }).process;
  if (proc?.platform !== 'linux') return;
  const { existsSync } = await nodeModules();
  if (!existsSync('/dev/nvidiactl') && !existsSync('/proc/driver/nvidia/version')) {
    throw unavailable('no NVIDIA GPU is visible (no /dev/nvidiactl): @tensorflow/tfjs-node-gpu would run on the CPU');
  }
}

/** The engine Inproc activated, the TF.js backend now active, and who holds it. */
export function tfjsEngineState(): TfjsEngineState {
  const state = registry();
  return {
    engine: state.active,
    tfBackend: state.api === undefined ? undefined : safeGetBackend(state.api),
    holders: [...state.holders].map((h) => h.label),
  };
}
