/**
 * Triton's model configuration for `inproc export triton`. It is built in the protocol's
 * one home, `@inproc/kserve/protocol`, so that the export's `config.pbtxt` and the
 * server's `GET v2/models/{name}/config` (its JSON form) come from the same code.
 * @module
 */
export { INSTANCE_KINDS, type InstanceKind, type TritonConfig, type TritonModel, tritonConfig } from '@inproc/kserve/protocol';
