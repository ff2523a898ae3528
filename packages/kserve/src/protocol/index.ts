/**
 * `@inproc/kserve/protocol`: the Open Inference Protocol (KServe v2 REST) and Triton's
 * extensions of it, in one place, for the client (this package's backend), the server
 * (`@inproc/server`) and the Triton export (`inproc export triton`): datatypes,
 * platforms, error codes and statuses, model metadata, inference request and response
 * bodies (JSON and the binary tensor data extension) and Triton's model configuration.
 * Pure functions on bytes and objects: no network, Node and browsers alike.
 * @module
 */
export { DATATYPES, dtypeOf, datatypeOf, tritonDataTypeOf, type Datatype, type TritonDataType } from './datatypes.js';
export { platformOf, formatOf } from './platforms.js';
export { statusOf, codeOfStatus, errorBody, readErrorBody, type ErrorBody, type Phase } from './status.js';
export { DIMS_PARAMETER, modelMetadata, tensorMetadata, signatureOf, type ModelFacts, type ModelMetadata, type TensorMetadata, type Parameters } from './metadata.js';
export { parseJson } from './json.js';
export { MAX_DEPTH, MAX_SKELETON_BYTES } from './json-body.js';
export { float32Text } from './float32-text.js';
export {
  HEADER_LENGTH,
  JOIN_BELOW,
  alignmentPad,
  encodeInferRequest,
  encodeInferResponse,
  decodeInferRequest,
  decodeInferResponse,
  decodeInferRequestAsync,
  decodeInferResponseAsync,
  shapeOf,
  type ServerMetadata,
  type EncodedBody,
  type RequestedOutput,
  type DecodedInferRequest,
  type DecodedInferResponse,
  type RawInput,
  type OutgoingTensor,
} from './bodies.js';
export { tritonConfig, INSTANCE_KINDS, type InstanceKind, type TritonModel, type TritonConfig, type TritonModelConfig, type TritonTensorConfig } from './triton-config.js';
