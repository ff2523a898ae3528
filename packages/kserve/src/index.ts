/**
 * `@inproc/kserve`: models on Open Inference Protocol (KServe v2) servers — Triton,
 * KServe, OpenVINO Model Server, MLServer, `inproc serve` — through the ordinary Inproc
 * `Model` API, over REST with the binary tensor data extension. Also the protocol's
 * bodies, for servers (`@inproc/server` uses them).
 * @module
 */
export { kserveBackend, REMOTE_DEVICE } from './descriptor.js';
export { type KServeOptions } from './options.js';
export { ServerError, type Phase } from './http-errors.js';
export { type ReplicaState } from './replicas.js';
export { DATATYPES, dtypeOf, datatypeOf } from './datatype.js';
export { DIMS_PARAMETER, formatOf, signatureOf } from './metadata.js';
export { parseModelUrl, modelPath, type ModelLocation } from './model-url.js';
export { parseJson } from './json.js';
export { readErrorBody } from './http-errors.js';
export {
  HEADER_LENGTH,
  encodeInferRequest,
  encodeInferResponse,
  decodeInferRequest,
  decodeInferResponse,
  shapeOf,
  type Parameters,
  type TensorMetadata,
  type ModelMetadata,
  type ServerMetadata,
  type ErrorBody,
  type EncodedBody,
  type RequestedOutput,
  type DecodedInferRequest,
  type DecodedInferResponse,
  type RawInput,
  type OutgoingTensor,
} from './protocol.js';
