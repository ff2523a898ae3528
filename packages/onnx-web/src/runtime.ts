/**
 * The onnxruntime-web module, imported once, and its global state: runtime options
 * applied before the first session, and the WebGPU probe (adapter and device actually
 * obtained) done once per page.
 * @module
 */
import { InprocError } from '@inproc/core';
import { isSoftwareAdapter, lazyPeer } from '@inproc/core/backend';
import { importPeer } from '#peer';
import type * as Ort from 'onnxruntime-web';
import { isBrowserLike, webGpu } from './environment.js';
import { type OnnxWebRuntimeOptions, checkRuntimeOptions, sameRuntime } from './options.js';

/** The onnxruntime-web module. @internal */
export type OrtModule = typeof Ort;

let pending: OnnxWebRuntimeOptions = {};
let applied: OnnxWebRuntimeOptions | undefined;

/**
 * Imports onnxruntime-web once. A missing package gives `BACKEND_UNAVAILABLE` naming it.
 * Through `#peer` (this package's `imports` map): a plain specifier that bundlers resolve
 * with the browser condition (the WebGPU/JSEP build, whose .wasm it references with
 * new URL(..., import.meta.url)); under the `node` condition one hidden from bundlers, so a
 * server bundle builds without it, and Node gets onnxruntime-web's Node build (WASM only).
 * @internal
 */
export const importOrt = lazyPeer<OrtModule>('onnxruntime-web', importPeer, {
  neededBy: 'onnx-web',
  pick: (m) => ((m as { default?: OrtModule }).default?.InferenceSession === undefined ? (m as OrtModule) : (m as { default: OrtModule }).default),
});

/**
 * Sets onnxruntime-web's runtime options (threads, SIMD, proxy worker, `.wasm`
 * location) for every onnx-web model. Call it before the first load; once the runtime
 * has started, asking for different options throws `INPUT_INVALID` (onnxruntime-web
 * reads them only once), and asking for the same ones is a no-op.
 *
 * ```ts
 * configureOnnxWeb({ numThreads: 1, wasmPaths: '/static/ort/' });
 * ```
 * @throws InprocError `INPUT_INVALID`
 */
export function configureOnnxWeb(options: OnnxWebRuntimeOptions): void {
  const checked = checkRuntimeOptions(options, 'configureOnnxWeb');
  if (applied !== undefined) {
    assertSame(checked, 'configureOnnxWeb');
    return;
  }
  pending = { ...pending, ...checked };
}

/** The options the runtime started with, or `undefined` before the first load. */
export function onnxWebRuntimeOptions(): OnnxWebRuntimeOptions | undefined {
  return applied;
}

/**
 * The module, with runtime options applied to `ort.env` the first time (`extra` are
 * those of the load's `backendOptions`). @internal
 */
export async function startRuntime(extra: OnnxWebRuntimeOptions): Promise<OrtModule> {
  const ort = await importOrt();
  if (applied !== undefined) {
    assertSame(extra, 'backendOptions');
    return ort;
  }
  const options = { ...pending, ...extra };
  const wasm = ort.env.wasm;
  if (options.numThreads !== undefined) wasm.numThreads = options.numThreads;
  if (options.simd !== undefined) wasm.simd = options.simd;
  if (options.proxy !== undefined) wasm.proxy = options.proxy;
  if (options.wasmPaths !== undefined) wasm.wasmPaths = options.wasmPaths as Ort.Env.WasmPrefixOrFilePaths;
  // Inproc reports failures as InprocErrors; ORT's own console output would duplicate them.
  ort.env.logLevel = 'error';
  applied = options;
  return ort;
}

function assertSame(options: OnnxWebRuntimeOptions, where: string): void {
  const key = sameRuntime(applied ?? {}, options);
  if (key !== undefined) {
    throw new InprocError(
      'INPUT_INVALID',
      `${where}: onnxruntime-web already started with ${key} ${JSON.stringify(applied?.[key] ?? 'default')}, got ${JSON.stringify(options[key])}; runtime options apply once per page or process (call configureOnnxWeb() before the first load)`,
    );
  }
}

/** Outcome of the WebGPU probe. @internal */
export type WebGpuProbe = { readonly ok: true; readonly adapter: string; readonly software: boolean } | { readonly ok: false; readonly reason: string };

let probe: Promise<WebGpuProbe> | undefined;

/**
 * Whether WebGPU really works here: an adapter is returned AND a device is created
 * from it (an adapter alone can still fail at `requestDevice`, e.g. on a blocklisted
 * driver). The probe device is destroyed at once; onnxruntime-web requests its own
 * adapter and device with the limits it needs. Done once; the outcome is kept. @internal
 */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probe ??= (async (): Promise<WebGpuProbe> => {
    if (!isBrowserLike()) return { ok: false, reason: 'onnxruntime-web runs WASM only in Node (for WebGPU in Node use onnx-node with device "webgpu")' };
    const gpu = webGpu();
    if (gpu === undefined) return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing; it also needs a secure context: https or http://localhost)' };
    let adapter;
    try {
      adapter = await gpu.requestAdapter();
    } catch (error) {
      return { ok: false, reason: `navigator.gpu.requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (adapter === null || adapter === undefined) return { ok: false, reason: 'navigator.gpu.requestAdapter() returned no adapter (no usable GPU, or WebGPU is disabled in this browser)' };
    try {
      const device = await adapter.requestDevice();
      device.destroy();
    } catch (error) {
      return { ok: false, reason: `the WebGPU adapter could not create a device: ${error instanceof Error ? error.message : String(error)}` };
    }
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.description].filter((s) => typeof s === 'string' && s !== '').join(' ');
    // SwiftShader in a GPU-less Chromium: WebGPU works, on the CPU, slower than WASM.
    const software = isSoftwareAdapter({ ...info, isFallbackAdapter: info?.isFallbackAdapter ?? adapter.isFallbackAdapter });
    return { ok: true, adapter: name === '' ? 'unknown adapter' : name, software };
  })();
  return probe;
}

let tail: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` when every earlier task given here has settled (FIFO). onnxruntime-web's
 * browser build guards its run entry point module-wide: a second run entered while one
 * is in flight, of the same session or of another, fails with "Session already
 * started"; and creating or releasing a session while an asynchronous WebGPU run is
 * suspended is not safe either. So runs, GPU downloads, session creation and release
 * of every onnx-web model take turns here. Calls to several models still interleave
 * (first come, first served); in Node, where a WASM run blocks the thread anyway, this
 * costs nothing. @internal
 */
export function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = tail.then(task);
  tail = result.catch(() => undefined);
  return result;
}
