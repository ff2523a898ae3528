/**
 * `inproc` in browsers, web workers and Electron renderers (the `browser` export
 * condition): everything of `@inproc/core`, with the onnxruntime-web backend registered
 * (WebGPU where an adapter and a device can be obtained, else WASM), and the kserve
 * backend (models on a v2 inference server, by URL, on fetch). Nothing here
 * imports a Node module, so the bundle stays free of `fs`, `onnxruntime-node`, `sharp`.
 * @module
 */
import './register-browser.js';

export * from '@inproc/core';
export { kserveBackend } from '@inproc/kserve/descriptor';
export type { KServeOptions } from '@inproc/kserve';
export { onnxWebBackend, configureOnnxWeb, onnxWebRuntimeOptions, autoDevices as onnxWebAutoDevices, type OnnxWebRuntimeOptions, type OnnxWebDevice, type WasmPaths } from '@inproc/onnx-web';
// TensorFlow.js is neither registered nor re-exported here: @inproc/tfjs imports the
// TF.js packages by name, which would make every app's bundle need them. In a page,
// install @tensorflow/tfjs and @inproc/tfjs, then registerBackend(tfjsBackend).
