/**
 * Importing the TF.js packages, which are all optional peers. `@tensorflow/tfjs` and its
 * browser backends are imported through `#peer` (this package's `imports` map): literal
 * specifiers that browser bundlers include, hidden from bundlers under the `node`
 * condition (a server bundle builds without TF.js installed); the native bindings (`@tensorflow/tfjs-node`, `-node-gpu`) only in Node, through a
 * computed specifier that bundlers leave alone. Their types are declared here (the
 * parts Inproc uses) because they cannot be installed where libtensorflow cannot be
 * downloaded.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';
import { lazyPeer } from '@inproc/core/backend';
import { importTfjsPeer, importWasmPeer, importWebgpuPeer } from '#peer';
import type * as Tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';

/** The TF.js API (`@tensorflow/tfjs`, or a native binding, which re-exports it). @internal */
export type TfApi = typeof Tf;

/**
 * `@tensorflow/tfjs-node` and `@tensorflow/tfjs-node-gpu`: importing either registers the
 * `tensorflow` backend (libtensorflow) and re-exports the whole `@tensorflow/tfjs` API.
 * Only that API and the version record are used.
 * @internal
 */
export type TfjsNodeModule = TfApi & { readonly version: Readonly<Record<string, string>> };

/** @internal */
export type TfWasmModule = Pick<typeof TfWasm, 'setWasmPaths'>;

/** A CommonJS package imported from ESM arrives as `{ default: exports, ...named }`. */
function unwrap<T>(module: unknown): T {
  const m = module as { default?: T } & T;
  return m.default !== undefined && typeof m.default === 'object' ? m.default : m;
}

function missing(pkg: string, why: string, cause: unknown, code: 'BACKEND_UNAVAILABLE' | 'DEVICE_UNAVAILABLE'): InprocError {
  return new InprocError(code, `${why} needs the ${pkg} package: npm install ${pkg}`, { cause });
}

/** `@tensorflow/tfjs`, imported once. Rejects with `BACKEND_UNAVAILABLE` naming the package. @internal */
export const importTfjs = lazyPeer<TfApi>('@tensorflow/tfjs', importTfjsPeer, { neededBy: 'the tfjs backend', pick: unwrap });

/** `@tensorflow/tfjs-backend-wasm` (registers the `wasm` backend). `DEVICE_UNAVAILABLE` when missing. @internal */
export const importWasm = lazyPeer<TfWasmModule>('@tensorflow/tfjs-backend-wasm', importWasmPeer, { neededBy: 'device "wasm"', code: 'DEVICE_UNAVAILABLE', pick: unwrap });

/** `@tensorflow/tfjs-backend-webgpu` (registers the `webgpu` backend). `DEVICE_UNAVAILABLE` when missing. @internal */
export const importWebgpu = lazyPeer<unknown>('@tensorflow/tfjs-backend-webgpu', importWebgpuPeer, { neededBy: 'device "webgpu"', code: 'DEVICE_UNAVAILABLE', pick: (m) => m });

// A computed specifier: bundlers must not try to resolve the native bindings for browsers.
const dynamicImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ /* webpackIgnore: true */ /* turbopackIgnore: true */ specifier);

const nodeBindings = new Map<string, Promise<TfjsNodeModule>>();

/** A native binding (`@tensorflow/tfjs-node` or `-node-gpu`), imported once. `DEVICE_UNAVAILABLE` naming it when missing. @internal */
export function importNodeBinding(pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu', device: string): Promise<TfjsNodeModule> {
  let pending = nodeBindings.get(pkg);
  if (pending === undefined) {
    pending = dynamicImport(pkg).then(
      (m) => {
        const api = unwrap<TfjsNodeModule>(m);
        if (typeof api.loadGraphModel !== 'function' || typeof api.setBackend !== 'function') {
          throw new InprocError('DEVICE_UNAVAILABLE', `${pkg} did not export the TensorFlow.js API`);
        }
        return api;
      },
      (error: unknown) => {
        nodeBindings.delete(pkg);
        throw missing(pkg, `device "${device}"`, error, 'DEVICE_UNAVAILABLE');
      },
    );
    nodeBindings.set(pkg, pending);
  }
  return pending;
}

/** True in Node (not in browsers, workers, or Electron renderers with a window). @internal */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** Node's `module`, `path` and `fs` (for finding installed files); never imported in browsers. @internal */
export async function nodeModules(): Promise<NodeModules> {
  const [module, path, fs] = (await Promise.all([dynamicImport('node:module'), dynamicImport('node:path'), dynamicImport('node:fs')])) as [
    { createRequire: (from: string) => { resolve: (id: string) => string } },
    { dirname: (path: string) => string; sep: string },
    { existsSync: (path: string) => boolean },
  ];
  return { createRequire: module.createRequire, dirname: path.dirname, sep: path.sep, existsSync: fs.existsSync };
}

/** The few Node functions used (arrow-typed: they do not use `this`). @internal */
export interface NodeModules {
  readonly createRequire: (from: string) => { resolve: (id: string) => string };
  readonly dirname: (path: string) => string;
  readonly sep: string;
  readonly existsSync: (path: string) => boolean;
}
