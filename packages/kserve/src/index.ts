/**
 * `@inproc/kserve`: models on Open Inference Protocol (KServe v2) servers — Triton,
 * KServe, OpenVINO Model Server, MLServer, `inproc serve` — through the ordinary Inproc
 * `Model` API, over REST with the binary tensor data extension. The protocol itself
 * (bodies, metadata, datatypes, statuses, Triton's model configuration) is re-exported
 * here and is also `@inproc/kserve/protocol` on its own.
 * @module
 */
export { kserveBackend, REMOTE_DEVICE } from './descriptor.js';
export { type KServeOptions } from './options.js';
export { ServerError } from './http-errors.js';
export { type ReplicaState } from './replicas.js';
export { parseModelUrl, modelPath, type ModelLocation } from './model-url.js';
export * from './protocol/index.js';
