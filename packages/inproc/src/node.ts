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
import { configureIsolation, hasBackend, registerBackend } from '@inproc/core';
import { onnxNodeBackend } from '@inproc/onnx-node';
import { onnxWebBackend } from '@inproc/onnx-web';
import { tfjsBackend } from '@inproc/tfjs';
import { kserveBackend } from '@inproc/kserve/descriptor';

const browserLike = typeof (globalThis as { window?: unknown }).window === 'object';
if (!browserLike && !hasBackend(onnxNodeBackend.name)) registerBackend(onnxNodeBackend);
if (!hasBackend(onnxWebBackend.name)) registerBackend(onnxWebBackend);
// Cheap to register: TensorFlow.js is imported only when a TF.js model is loaded.
if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);
if (!hasBackend(kserveBackend.name)) registerBackend(kserveBackend);
// Workers of `isolation: 'worker'` start from this package's worker entry, which registers the same backends.
configureIsolation({ workerEntry: new URL('./worker.js', import.meta.url) });

export * from '@inproc/core';
export { onnxNodeBackend } from '@inproc/onnx-node';
export { onnxWebBackend, configureOnnxWeb, onnxWebRuntimeOptions, autoDevices as onnxWebAutoDevices, type OnnxWebRuntimeOptions, type OnnxWebDevice, type WasmPaths } from '@inproc/onnx-web';
export { kserveBackend } from '@inproc/kserve/descriptor';
export type { KServeOptions } from '@inproc/kserve';
export { tfjsBackend, fromArtifacts, tfjsEngineState, type TfjsDevice, type TfjsBackendOptions, type TfjsWeights, type TfjsModelArtifacts } from '@inproc/tfjs';
