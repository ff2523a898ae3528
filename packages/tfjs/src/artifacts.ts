/**
 * In-memory TF.js models: `loadModel` takes bytes, so a model held as TF.js
 * `ModelArtifacts` (from `model.save(tf.io.withSaveHandler(...))`, a database, a zip) is
 * turned into its `model.json` bytes plus the weights as `backendOptions.weights`.
 * @module
 */
import { InprocError, type LoadOptions } from '@inproc/core';
import type { TfjsModelArtifacts } from './types.js';

/** What {@link fromArtifacts} returns: `loadModel(input.bytes, { ...input.options, device })`. */
export interface TfjsModelInput {
  /** The `model.json`, with one weight file named `weights.bin`. */
  readonly bytes: Uint8Array;
  /** `format` and `backendOptions.weights`; spread your own options after these, merging any `backendOptions`. */
  readonly options: Pick<LoadOptions, 'format' | 'backendOptions'> & { readonly format: 'tfjs-graph' | 'tfjs-layers'; readonly backendOptions: { readonly weights: Readonly<Record<string, Uint8Array>> } };
}

const WEIGHTS_FILE = 'weights.bin';

/**
 * A TF.js model held in memory, as a `model.json` and its weights for `loadModel`:
 *
 * ```ts
 * const artifacts = await new Promise((resolve) => model.save(tf.io.withSaveHandler(async (a) => (resolve(a), { modelArtifactsInfo: ... }))));
 * const { bytes, options } = fromArtifacts(artifacts);
 * await using m = await loadModel(bytes, { ...options, backend: 'tfjs', device: 'wasm' });
 * ```
 * @throws InprocError `INPUT_INVALID` when the artifacts have no JSON topology
 */
export function fromArtifacts(artifacts: TfjsModelArtifacts): TfjsModelInput {
  if (typeof artifacts !== 'object' || artifacts === null) throw new InprocError('INPUT_INVALID', 'fromArtifacts: expected TF.js model artifacts (an object)');
  const topology = artifacts.modelTopology;
  if (typeof topology !== 'object' || topology === null || topology instanceof ArrayBuffer || Array.isArray(topology)) {
    throw new InprocError('INPUT_INVALID', 'fromArtifacts: modelTopology must be a JSON object (binary GraphDef topologies are not supported)');
  }
  const isGraph = artifacts.format === 'graph-model' || Array.isArray((topology as { node?: unknown }).node);
  const chunks = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? (artifacts.weightData as readonly ArrayBuffer[]) : [artifacts.weightData as ArrayBuffer];
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    if (!(chunk instanceof ArrayBuffer)) throw new InprocError('INPUT_INVALID', 'fromArtifacts: weightData must be an ArrayBuffer or an array of them');
    weights.set(new Uint8Array(chunk), offset);
    offset += chunk.byteLength;
  }
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length === 0 && total > 0) throw new InprocError('INPUT_INVALID', `fromArtifacts: ${total} bytes of weightData but no weightSpecs`);
  const doc: Record<string, unknown> = {
    format: artifacts.format ?? (isGraph ? 'graph-model' : 'layers-model'),
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: topology,
    weightsManifest: specs.length === 0 ? [] : [{ paths: [WEIGHTS_FILE], weights: specs }],
    signature: artifacts.signature,
    userDefinedMetadata: artifacts.userDefinedMetadata,
    modelInitializer: artifacts.modelInitializer,
    initializerSignature: artifacts.initializerSignature,
    trainingConfig: artifacts.trainingConfig,
  };
  return {
    bytes: new TextEncoder().encode(JSON.stringify(doc)),
    options: { format: isGraph ? 'tfjs-graph' : 'tfjs-layers', backendOptions: { weights: specs.length === 0 ? {} : { [WEIGHTS_FILE]: weights } } },
  };
}
