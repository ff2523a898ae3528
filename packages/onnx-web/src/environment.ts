/**
 * Where this code runs. onnxruntime-web offers WebGPU and WebNN only in a page or a
 * worker (including an Electron renderer, which also has Node's `process`); in Node it
 * is a pure-WASM runtime.
 * @module
 * @internal
 */

/** The parts of the WebGPU API this package touches (the DOM lib has no WebGPU types). */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance'; forceFallbackAdapter?: boolean }): Promise<GpuAdapterLike | null>;
}

/** A `GPUAdapter`, as far as this package uses it. */
export interface GpuAdapterLike {
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string; readonly isFallbackAdapter?: boolean };
  /** Before Chromium 121 the fallback flag sat on the adapter. */
  readonly isFallbackAdapter?: boolean;
  requestDevice(): Promise<{ destroy(): void; readonly lost?: Promise<unknown> }>;
}

interface NavigatorLike {
  readonly gpu?: GpuLike;
  readonly ml?: unknown;
}

/**
 * True in a browser page, a web worker, or an Electron renderer: anywhere with a DOM
 * `window` or a worker global scope and a `navigator`. Node (no `window`) is not one,
 * even though Node 21+ has a `navigator`.
 */
export function isBrowserLike(): boolean {
  const g = globalThis as { window?: unknown; navigator?: unknown; WorkerGlobalScope?: unknown; importScripts?: unknown };
  if (typeof g.navigator !== 'object' || g.navigator === null) return false;
  return typeof g.window === 'object' || typeof g.WorkerGlobalScope === 'function';
}

/** `navigator.gpu`, when this environment exposes WebGPU at all. */
export function webGpu(): GpuLike | undefined {
  if (!isBrowserLike()) return undefined;
  const gpu = (globalThis.navigator as NavigatorLike).gpu;
  return typeof gpu === 'object' && gpu !== null && typeof gpu.requestAdapter === 'function' ? gpu : undefined;
}

/** Whether `navigator.ml` (WebNN) exists. */
export function hasWebNn(): boolean {
  if (!isBrowserLike()) return false;
  const ml = (globalThis.navigator as NavigatorLike).ml;
  return typeof ml === 'object' && ml !== null;
}
