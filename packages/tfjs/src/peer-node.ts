/**
 * The TF.js packages in Node (the package's `#peer` import under the `node` condition): the
 * same imports, hidden from bundlers, so that a server bundle that reaches this package
 * (`inproc`'s Node entry registers the tfjs backend; Next.js renders client components with
 * it) builds whether or not TF.js is installed; Node resolves them when a model is loaded.
 * @module
 */
export const importTfjsPeer = (): Promise<unknown> => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ '@tensorflow/tfjs');
export const importWasmPeer = (): Promise<unknown> => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ '@tensorflow/tfjs-backend-wasm');
export const importWebgpuPeer = (): Promise<unknown> => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ '@tensorflow/tfjs-backend-webgpu');
