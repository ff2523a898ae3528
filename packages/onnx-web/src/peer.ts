/**
 * onnxruntime-web as browsers get it: a literal `import()` that bundlers resolve and bundle
 * (with the browser condition: the WebGPU/JSEP build, whose .wasm it references with
 * `new URL(..., import.meta.url)`). The package's `#peer` import outside Node (its
 * `imports` map); `peer-node.ts` in Node.
 * @module
 */
export const importPeer = (): Promise<unknown> => import('onnxruntime-web');
