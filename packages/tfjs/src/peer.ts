/**
 * The TF.js packages that run in browsers, as browsers get them: literal `import()`s that
 * bundlers resolve and bundle. The package's `#peer` import outside Node (its `imports`
 * map); `peer-node.ts` in Node.
 * @module
 */
export const importTfjsPeer = (): Promise<unknown> => import('@tensorflow/tfjs');
export const importWasmPeer = (): Promise<unknown> => import('@tensorflow/tfjs-backend-wasm');
export const importWebgpuPeer = (): Promise<unknown> => import('@tensorflow/tfjs-backend-webgpu');
