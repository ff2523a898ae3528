/**
 * Model metadata in the shape of the KServe v2 / Open Inference Protocol, so that
 * tooling written for model servers (Triton, KServe, OpenVINO Model Server, Seldon)
 * can read what an in-process repository serves.
 * @module
 */
import type { ModelFormat } from '../backend.js';
import type { DType } from '../dtype.js';
import type { KServeDatatype, KServeModelMetadata, KServeTensorMetadata } from './repository-types.js';
import type { Signature, TensorInfo } from '../signature.js';

const DATATYPES: Readonly<Record<DType, KServeDatatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

/** Platform names as Triton reports them; TF.js has none there, so it follows the same pattern. */
const PLATFORMS: Readonly<Record<ModelFormat, string>> = {
  onnx: 'onnxruntime_onnx',
  'tfjs-graph': 'tensorflowjs_graph',
  'tfjs-layers': 'tensorflowjs_layers',
};

/** The KServe v2 datatype of a dtype (`float32` -> `FP32`, `string` -> `BYTES`). */
export function kserveDatatype(dtype: DType): KServeDatatype {
  return DATATYPES[dtype];
}

/** A signature entry as KServe tensor metadata: symbolic and dynamic dimensions become -1; an unknown rank becomes `[-1]`. */
export function kserveTensor(info: TensorInfo): KServeTensorMetadata {
  // KServe has no way to say "rank unknown"; a single dynamic dimension is the usual stand-in.
  const shape = info.unknownRank === true ? [-1] : info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: info.name, datatype: kserveDatatype(info.dtype), shape };
}

/** Builds the metadata response of one model. */
export function kserveModelMetadata(init: {
  readonly name: string;
  readonly versions: readonly number[];
  readonly format: ModelFormat;
  readonly signature: Signature;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}): KServeModelMetadata {
  const base = {
    name: init.name,
    versions: init.versions.map(String),
    platform: PLATFORMS[init.format],
    inputs: init.signature.inputs.map(kserveTensor),
    outputs: init.signature.outputs.map(kserveTensor),
  };
  return init.parameters === undefined ? base : { ...base, parameters: init.parameters };
}
