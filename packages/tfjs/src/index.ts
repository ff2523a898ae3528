export { tfjsBackend } from './descriptor.js';
export { fromArtifacts, type TfjsModelInput } from './artifacts.js';
export { tfjsEngineState } from './engines.js';
export {
  TFJS_DEVICES,
  type TfjsDevice,
  type TfjsEngine,
  type TfjsEngineState,
  type TfjsBackendOptions,
  type TfjsWeights,
  type WeightBuffer,
  type TfjsWeightSpec,
  type TfjsModelArtifacts,
} from './types.js';
