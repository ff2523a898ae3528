/**
 * `@inproc/onnx-web`: the Inproc backend on onnxruntime-web (WASM, WebGPU, WebNN).
 * Register it with `registerBackend(onnxWebBackend)`, or import `inproc`, which does.
 * @module
 */
export { onnxWebBackend, autoDevices, ONNX_WEB_PRIORITY } from './descriptor.js';
export { ONNX_WEB_DEVICES, type OnnxWebDevice } from './devices.js';
export { type OnnxWebRuntimeOptions, type WasmPaths } from './options.js';
export { configureOnnxWeb, onnxWebRuntimeOptions } from './runtime.js';
