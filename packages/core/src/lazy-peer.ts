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
 * later call. `load` must be a literal `() => import('<name>')`, so that bundlers see it.
 *
 * ```ts
 * const importSharp = lazyPeer('sharp', () => import('sharp'), { neededBy: '@inproc/image in Node' });
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
