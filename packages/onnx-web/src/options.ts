/**
 * Runtime options of onnxruntime-web (threads, SIMD, proxy worker, where the `.wasm`
 * files come from): checked here, applied once per page or process, before the first
 * session is created, since onnxruntime-web reads them only when it initialises.
 * @module
 */
import { InprocError } from '@inproc/core';

/** Where the `.wasm` (and `.mjs`) files of onnxruntime-web are served from. */
export type WasmPaths = string | URL | { readonly wasm?: string | URL; readonly mjs?: string | URL };

/**
 * Options of the onnxruntime-web runtime. They apply to every onnx-web model of the
 * page (or Node process): set them with {@link configureOnnxWeb} before the first
 * load, or in the first load's `backendOptions`.
 */
export interface OnnxWebRuntimeOptions {
  /**
   * WASM worker threads. `0` (default) lets onnxruntime-web choose, which gives 1
   * unless the page is cross-origin isolated (threads need `SharedArrayBuffer`); `1`
   * never spawns a thread.
   */
  readonly numThreads?: number;
  /**
   * SIMD feature check: `true`/`'fixed'` (default) or `'relaxed'`; `false` skips it.
   * onnxruntime-web ships SIMD builds only, so this does not select another binary.
   */
  readonly simd?: boolean | 'fixed' | 'relaxed';
  /** Run onnxruntime-web in a proxy worker so that inference never blocks the page's main thread (WASM only). */
  readonly proxy?: boolean;
  /**
   * Where the `.wasm`/`.mjs` files are served from: a URL prefix ending in `/`, or
   * `{ wasm, mjs }` URLs. Default: the files inside the onnxruntime-web package,
   * referenced with `new URL(file, import.meta.url)` so that bundlers (Vite, webpack,
   * Rollup) copy them into the build. Never a CDN.
   */
  readonly wasmPaths?: WasmPaths;
}

/** The keys of {@link OnnxWebRuntimeOptions}; everything else in `backendOptions` is an ORT SessionOption. */
export const RUNTIME_KEYS = ['numThreads', 'simd', 'proxy', 'wasmPaths'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Checks runtime options; throws `INPUT_INVALID` naming the bad one. @internal */
export function checkRuntimeOptions(options: unknown, where: string): OnnxWebRuntimeOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InprocError('INPUT_INVALID', `${where}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  const out: Mutable<OnnxWebRuntimeOptions> = {};
  if (o['numThreads'] !== undefined) {
    const n = o['numThreads'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1024) {
      throw new InprocError('INPUT_INVALID', `${where}: numThreads must be an integer from 0 (automatic) to 1024, got ${show(n)}`);
    }
    out.numThreads = n;
  }
  if (o['simd'] !== undefined) {
    const s = o['simd'];
    if (typeof s !== 'boolean' && s !== 'fixed' && s !== 'relaxed') throw new InprocError('INPUT_INVALID', `${where}: simd must be true, false, 'fixed' or 'relaxed', got ${show(s)}`);
    out.simd = s;
  }
  if (o['proxy'] !== undefined) {
    if (typeof o['proxy'] !== 'boolean') throw new InprocError('INPUT_INVALID', `${where}: proxy must be a boolean, got ${show(o['proxy'])}`);
    out.proxy = o['proxy'];
  }
  if (o['wasmPaths'] !== undefined) out.wasmPaths = checkWasmPaths(o['wasmPaths'], where);
  return out;
}

function checkWasmPaths(value: unknown, where: string): WasmPaths {
  if (value instanceof URL) return checkPrefix(value.href, where);
  if (typeof value === 'string') return checkPrefix(value, where);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { wasm, mjs, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new InprocError('INPUT_INVALID', `${where}: wasmPaths takes { wasm, mjs }, got unknown key ${JSON.stringify(extra[0])}`);
    if (wasm === undefined && mjs === undefined) throw new InprocError('INPUT_INVALID', `${where}: wasmPaths { wasm, mjs } needs at least one of them`);
    const paths: { wasm?: string | URL; mjs?: string | URL } = {};
    for (const [key, v] of [['wasm', wasm], ['mjs', mjs]] as const) {
      if (v === undefined) continue;
      if (!(v instanceof URL) && (typeof v !== 'string' || v === '')) throw new InprocError('INPUT_INVALID', `${where}: wasmPaths.${key} must be a URL or a non-empty string, got ${show(v)}`);
      paths[key] = v;
    }
    return paths;
  }
  throw new InprocError('INPUT_INVALID', `${where}: wasmPaths must be a URL prefix or { wasm, mjs }, got ${show(value)}`);
}

function checkPrefix(prefix: string, where: string): string {
  // onnxruntime-web appends file names to the prefix as is: without the slash the last segment would be lost.
  if (!prefix.endsWith('/')) throw new InprocError('INPUT_INVALID', `${where}: a wasmPaths prefix must end with "/" (onnxruntime-web appends file names to it), got ${JSON.stringify(prefix)}`);
  return prefix;
}

/** Whether two checked option sets ask for the same runtime. @internal */
export function sameRuntime(a: OnnxWebRuntimeOptions, b: OnnxWebRuntimeOptions): (typeof RUNTIME_KEYS)[number] | undefined {
  for (const key of RUNTIME_KEYS) {
    if (b[key] === undefined) continue;
    if (JSON.stringify(normal(a[key])) !== JSON.stringify(normal(b[key]))) return key;
  }
  return undefined;
}

function normal(value: unknown): unknown {
  if (value instanceof URL) return value.href;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normal(v)]));
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
