// `@inproc/core/backend`: what backend authors and tools need, apart from the user API —
// the backend contract, the helpers every backend shares (optional peers, process-wide
// singletons, resource accounting, error text), the device loops, ONNX facts and the
// worker entry. Users of models do not need anything here.
export { type Backend, type BackendSession, type BackendLoadOptions, type BackendRunOptions, type ModelSource, type SplitRun } from './backend.js';
export { trustedTensor } from './tensor.js';
export { messageOf, firstLine } from './errors.js';
export { globalSingleton } from './global-singleton.js';
export { nodeModule } from './node-builtin.js';
export { lazyPeer, type LazyPeerOptions } from './lazy-peer.js';
export { trackResource, type ResourceLease } from './resources.js';
export { validateFeeds } from './signature.js';
export { throwIfAborted } from './call-signal.js';
export { findModelFile, MODEL_FILE_NAMES, type DirectoryProbe } from './model-file.js';
export { serveIsolatedModel } from './execution/worker-host.js';
export { isSoftwareAdapter, type AdapterFacts } from './software-adapter.js';
export { chooseDevice, type DeviceChoiceRequest, type DeviceChoice } from './device-choice.js';
export { readOnnxMetadata, onnxExternalDataFiles, resolveExternalData, readExternalData, type OnnxMetadata, type ExternalDataFile } from './onnx-metadata.js';
export { ortTensorInfo, ortSessionInfo, ortStorage, openOnDevices, type OrtValueMetadata, type OrtSessionLike, type DeviceAttempts } from './ort-glue.js';
