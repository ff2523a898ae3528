/**
 * Optional peer packages (onnxruntime-node, onnxruntime-web, TensorFlow.js, sharp),
 * imported on first use: once, shared by every caller, forgotten when the import fails
 * (so installing the package later works without a restart), and a missing package
 * rejects with an `InprocError` that says which package to install.
 * @module
 */
import { InprocError } from './errors.js';

/** Options of {@link lazyPeer}. */
export interface LazyPeerOptions<T> {
  /** Who needs the package, for the message: `onnx-node`, `device "wasm"`. */
  readonly neededBy: string;
  /** `BACKEND_UNAVAILABLE` (default) or `DEVICE_UNAVAILABLE` when the package only enables a device. */
  readonly code?: 'BACKEND_UNAVAILABLE' | 'DEVICE_UNAVAILABLE';
  /** The API from the module namespace; default: its `default` export when present, else the namespace (CommonJS interop). */
  readonly pick?: (module: unknown) => T;
}

/**
 * A function that imports the peer package `name` on first call and returns it on every
 * later call. `load` is an `import()` of the literal name. A peer that only Node loads
 * (onnxruntime-node, sharp, native bindings) is hidden from bundlers (the comments
 * `webpackIgnore: true`, `turbopackIgnore: true` and `@vite-ignore` inside the `import()`), so that a server
 * bundle (Next.js, a bundled Node app) builds without it installed and Node resolves it at
 * run time; a peer that browsers need (onnxruntime-web, TF.js) is imported plainly, so
 * that browser bundlers include it, and hidden only under the `node` condition (a `#peer`
 * module chosen by the package's `imports` map, as in @inproc/onnx-web).
 *
 * ```ts
 * const importOrt = lazyPeer('onnxruntime-web', () => import('onnxruntime-web'), { neededBy: 'onnx-web' });
 * ```
 * @returns a loader that rejects with `code` and the message `<neededBy> needs the <name> package: npm install <name>`
 */
export function lazyPeer<T>(name: string, load: () => Promise<unknown>, options: LazyPeerOptions<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  const pick = options.pick ?? ((m: unknown) => ((m as { default?: T }).default ?? m) as T);
  return () =>
    (loaded ??= load().then(pick, (error: unknown) => {
      loaded = undefined;
      throw new InprocError(options.code ?? 'BACKEND_UNAVAILABLE', `${options.neededBy} needs the ${name} package: npm install ${name}`, { cause: error, details: { package: name } });
    }));
}
