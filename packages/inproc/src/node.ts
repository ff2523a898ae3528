/**
 * `inproc` for Node (the `node` export condition): everything of `@inproc/core`, with
 * the onnxruntime-node backend registered, and onnxruntime-web below it (priority 50,
 * WASM only in Node) for machines without onnxruntime-node's native binary. In an
 * Electron renderer that loads this entry through Node's resolver (nodeIntegration, no
 * bundler), a `window` is present: it is treated as a browser and gets onnx-web only.
 * The kserve backend (models on a v2 inference server, by URL) is registered too; it is
 * used only when named (`backend: 'kserve'`). Importing this module registers the
 * backends once per process, also when several copies of the package are loaded.
 * @module
 */
import './register-node.js';

export * from '@inproc/core';
export { onnxNodeBackend } from '@inproc/onnx-node';
export { onnxWebBackend, configureOnnxWeb, onnxWebRuntimeOptions, autoDevices as onnxWebAutoDevices, type OnnxWebRuntimeOptions, type OnnxWebDevice, type WasmPaths } from '@inproc/onnx-web';
export { kserveBackend } from '@inproc/kserve/descriptor';
export type { KServeOptions } from '@inproc/kserve';
export { tfjsBackend, fromArtifacts, tfjsEngineState, type TfjsDevice, type TfjsBackendOptions, type TfjsWeights, type TfjsModelArtifacts } from '@inproc/tfjs';
