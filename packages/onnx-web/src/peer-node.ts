/**
 * onnxruntime-web in Node (the package's `#peer` import under the `node` condition): the
 * same import, hidden from bundlers, so that a server bundle that reaches this package
 * (Next.js rendering a client component, a bundled Node app) builds whether or not
 * onnxruntime-web is installed; Node resolves it when a model is loaded.
 * @module
 */
export const importPeer = (): Promise<unknown> => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ 'onnxruntime-web');
