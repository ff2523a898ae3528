/**
 * The tfjs backend: loads TensorFlow.js graph and layers models on the engine the device
 * asks for (see engines.ts). This is the backend's code, imported by its descriptor
 * (`tfjsBackend` in `descriptor.ts`) the first time the backend is a candidate. TF.js
 * packages are optional peers, imported then too; a missing one is reported by name.
 * @module
 */
import { InprocError } from '@inproc/core';
import { throwIfAborted, type BackendLoadOptions, type BackendSession, type ModelSource, messageOf } from '@inproc/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import { acquireEngine } from './engines.js';
import { parseModelJson, readWeights, type GraphNode, type ModelJson } from './model-json.js';
import { graphSignature, layersSignature } from './signature.js';
import { TfjsSession, needsAsync, type LoadedModel } from './session.js';
import { importNodeBinding, importTfjs, isNode } from './tf-modules.js';
import type { TfjsBackendOptions } from './types.js';

const OPTION_KEYS: ReadonlySet<string> = new Set(['weights', 'wasmPaths', 'strict']);

/** Whether TensorFlow.js can be imported here (`Backend.isAvailable` of `tfjsBackend`, in `descriptor.ts`). */
export async function isAvailable(): Promise<boolean> {
  try {
    await importTfjs();
    return true;
  } catch (error) {
    // Without @tensorflow/tfjs, a native binding alone still brings the whole API.
    if (isNode()) {
      for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
        if (await importNodeBinding(pkg, 'auto').then(() => true, () => false)) return true;
      }
    }
    throw error;
  }
}

function checkOptions(raw: Readonly<Record<string, unknown>>): TfjsBackendOptions {
  // Checked key by key below; the cast is the narrowing.
  for (const key of Object.keys(raw)) {
    if (!OPTION_KEYS.has(key)) throw new InprocError('INPUT_INVALID', `backendOptions.${key} is not an option of the tfjs backend (it takes ${[...OPTION_KEYS].join(', ')})`);
  }
  const { wasmPaths, strict } = raw;
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string' && !(typeof wasmPaths === 'object' && wasmPaths !== null && Object.values(wasmPaths).every((v) => typeof v === 'string'))) {
    throw new InprocError('INPUT_INVALID', 'backendOptions.wasmPaths must be a URL prefix or a record of binary name -> URL');
  }
  if (strict !== undefined && typeof strict !== 'boolean') throw new InprocError('INPUT_INVALID', 'backendOptions.strict must be a boolean');
  return raw;
}

/** Loads a model (`Backend.load` of `tfjsBackend`). */
export async function loadTfjsModel(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  if (source.format !== 'tfjs-graph' && source.format !== 'tfjs-layers') {
    throw new InprocError('MODEL_INVALID', `${source.name}: the tfjs backend loads tfjs-graph and tfjs-layers models, not ${source.format}`);
  }
  const backendOptions = checkOptions(options.backendOptions);
  const json = parseModelJson(source.bytes, source.name, source.format);
  const label = `tfjs ${source.name}`;
  const engine = await acquireEngine({ device: options.device, label, wasmPaths: backendOptions.wasmPaths });
  let loaded: LoadedModel | undefined;
  try {
    const { specs, data } = await readWeights(json, source, { weights: backendOptions.weights, signal: options.signal, onProgress: options.onProgress });
    throwIfAborted(options.signal, 'the load');
    const artifacts = toArtifacts(engine.tf, json, specs, data);
    loaded = await loadWithTfjs(engine.tf, source, artifacts, backendOptions.strict ?? true);
    throwIfAborted(options.signal, 'the load');
    const bound = loaded.kind === 'graph' ? graphSignature(loaded.model, json, source.name) : layersSignature(loaded.model, json, source.name);
    const async = loaded.kind === 'graph' && needsAsync(graphOps(json));
    const metadata = {
      engine: engine.engine,
      tfBackend: engine.tf.getBackend(),
      tfjsVersion: engine.tf.version_core,
      format: json.format ?? (loaded.kind === 'graph' ? 'graph-model' : 'layers-model'),
      execution: loaded.kind === 'layers' ? 'predict' : async ? 'executeAsync' : 'execute',
      ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
      ...(json.convertedBy === undefined || json.convertedBy === null ? {} : { convertedBy: json.convertedBy }),
      ...(engine.skipped.length ? { fallbacks: engine.skipped } : {}),
    };
    return new TfjsSession({ loaded, bound, engine, label, bytes: data.byteLength, async, metadata });
  } catch (error) {
    disposeQuietly(loaded);
    engine.release();
    throw error;
  }
}

function disposeQuietly(loaded: LoadedModel | undefined): void {
  try {
    loaded?.model.dispose();
  } catch {
    // The load already failed; its error is the one to report.
  }
}

function toArtifacts(tf: typeof Tf, json: ModelJson, specs: Tf.io.WeightsManifestEntry[] | readonly object[], data: ArrayBuffer): Tf.io.ModelArtifacts {
  const modelJson = json as unknown as Tf.io.ModelJSON;
  return tf.io.getModelArtifactsForJSONSync(modelJson, specs as Tf.io.WeightsManifestEntry[], data);
}

async function loadWithTfjs(tf: typeof Tf, source: ModelSource, artifacts: Tf.io.ModelArtifacts, strict: boolean): Promise<LoadedModel> {
  const handler: Tf.io.IOHandler = { load: () => Promise.resolve(artifacts) };
  try {
    if (source.format === 'tfjs-graph') return { kind: 'graph', model: await tf.loadGraphModel(handler) };
    return { kind: 'layers', model: await tf.loadLayersModel(handler, { strict }) };
  } catch (error) {
    throw new InprocError('MODEL_INVALID', `${source.name}: TensorFlow.js could not load the ${source.format === 'tfjs-graph' ? 'graph' : 'layers'} model: ${messageOf(error).split('\n')[0]}`, { cause: error });
  }
}

/** Every op of a graph and of its function library. */
function graphOps(json: ModelJson): string[] {
  const ops = ((json.modelTopology['node'] ?? []) as GraphNode[]).map((n) => n.op);
  const library = json.modelTopology['library'] as { function?: { nodeDef?: GraphNode[] }[] } | undefined;
  for (const fn of library?.function ?? []) for (const node of fn.nodeDef ?? []) ops.push(node.op);
  return ops;
}
