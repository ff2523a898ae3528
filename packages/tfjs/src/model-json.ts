/**
 * Reading a TF.js `model.json` and its weights: structural validation (so that a
 * malformed file gets `MODEL_INVALID` naming the field, not a TypeError from deep inside
 * TF.js), weight shards read beside the file or taken from memory, their sizes checked
 * against the manifest, progress reported per shard, and cancellation between shards.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';
import { throwIfAborted, type ModelSource, messageOf } from '@inproc/core/backend';
import type { TfjsWeightSpec, TfjsWeights, WeightBuffer } from './types.js';

/** A parsed `model.json`, checked to the depth this backend relies on. */
export interface ModelJson {
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly modelTopology: Record<string, unknown>;
  readonly weightsManifest: readonly ManifestGroup[];
  readonly signature?: Record<string, unknown>;
  readonly userDefinedMetadata?: Record<string, unknown>;
  readonly modelInitializer?: Record<string, unknown>;
  readonly initializerSignature?: Record<string, unknown>;
  readonly trainingConfig?: Record<string, unknown>;
}

export interface ManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly TfjsWeightSpec[];
}

/** A node of a graph model's topology. */
export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Record<string, unknown>;
}

function invalid(source: string, message: string, cause?: unknown): InprocError {
  return new InprocError('MODEL_INVALID', `${source}: ${message}`, cause === undefined ? {} : { cause });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a `model.json` of the given flavour. @throws InprocError `MODEL_INVALID` */
export function parseModelJson(bytes: Uint8Array, source: string, format: 'tfjs-graph' | 'tfjs-layers'): ModelJson {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid(source, `not a valid model.json (JSON): ${messageOf(error)}`, error);
  }
  if (!isObject(doc)) throw invalid(source, 'a model.json must hold a JSON object');
  const topology = doc['modelTopology'];
  if (!isObject(topology)) throw invalid(source, `"modelTopology" must be an object, got ${kind(topology)}`);
  for (const field of ['format', 'generatedBy'] as const) {
    if (doc[field] !== undefined && typeof doc[field] !== 'string') throw invalid(source, `"${field}" must be a string, got ${kind(doc[field])}`);
  }
  for (const field of ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'] as const) {
    if (doc[field] !== undefined && doc[field] !== null && !isObject(doc[field])) throw invalid(source, `"${field}" must be an object, got ${kind(doc[field])}`);
  }
  if (format === 'tfjs-graph') checkGraphTopology(topology, source);
  else checkLayersTopology(topology, source);
  const weightsManifest = checkManifest(doc['weightsManifest'], source);
  return { ...doc, modelTopology: topology, weightsManifest };
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

function checkGraphTopology(topology: Record<string, unknown>, source: string): void {
  const nodes = topology['node'];
  if (!Array.isArray(nodes)) throw invalid(source, `"modelTopology.node" must be an array of graph nodes, got ${kind(nodes)}`);
  const names = new Set<string>();
  nodes.forEach((node: unknown, i) => {
    const at = `modelTopology.node[${i}]`;
    if (!isObject(node)) throw invalid(source, `"${at}" must be an object, got ${kind(node)}`);
    if (typeof node['name'] !== 'string' || node['name'] === '') throw invalid(source, `"${at}.name" must be a non-empty string, got ${kind(node['name'])}`);
    if (typeof node['op'] !== 'string' || node['op'] === '') throw invalid(source, `"${at}.op" (node "${node['name']}") must be a non-empty string, got ${kind(node['op'])}`);
    if (node['input'] !== undefined && !(Array.isArray(node['input']) && node['input'].every((s) => typeof s === 'string'))) {
      throw invalid(source, `"${at}.input" (node "${node['name']}") must be an array of node names`);
    }
    if (node['attr'] !== undefined && !isObject(node['attr'])) throw invalid(source, `"${at}.attr" (node "${node['name']}") must be an object`);
    if (names.has(node['name'])) throw invalid(source, `"${at}.name": node "${node['name']}" appears twice`);
    names.add(node['name']);
  });
  // Inputs name other nodes as "name", "name:1" or "^name" (a control dependency).
  nodes.forEach((node: GraphNode, i) => {
    for (const input of node.input ?? []) {
      const target = input.replace(/^\^/, '').replace(/:\d+$/, '');
      if (!names.has(target)) throw invalid(source, `"modelTopology.node[${i}].input": node "${node.name}" reads "${input}", which is not a node of the graph`);
    }
  });
  if (topology['library'] !== undefined && !isObject(topology['library'])) throw invalid(source, `"modelTopology.library" must be an object`);
}

function checkLayersTopology(topology: Record<string, unknown>, source: string): void {
  // Keras writes either the model config itself or { model_config, training_config }.
  const config = isObject(topology['model_config']) ? topology['model_config'] : topology;
  if (typeof config['class_name'] !== 'string') throw invalid(source, `"modelTopology.class_name" must name a Keras model class, got ${kind(config['class_name'])}`);
  if (!isObject(config['config']) && !Array.isArray(config['config'])) throw invalid(source, `"modelTopology.config" must be an object, got ${kind(config['config'])}`);
}

function checkManifest(manifest: unknown, source: string): ManifestGroup[] {
  if (manifest === undefined || manifest === null) return [];
  if (!Array.isArray(manifest)) throw invalid(source, `"weightsManifest" must be an array, got ${kind(manifest)}`);
  const seen = new Set<string>();
  return manifest.map((group: unknown, g) => {
    const at = `weightsManifest[${g}]`;
    if (!isObject(group)) throw invalid(source, `"${at}" must be an object, got ${kind(group)}`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) throw invalid(source, `"${at}.paths" must be an array of file names`);
    if (!Array.isArray(weights)) throw invalid(source, `"${at}.weights" must be an array, got ${kind(weights)}`);
    weights.forEach((w: unknown, i) => {
      const wat = `${at}.weights[${i}]`;
      if (!isObject(w) || typeof w['name'] !== 'string') throw invalid(source, `"${wat}.name" must be a string`);
      if (seen.has(w['name'])) throw invalid(source, `"${wat}.name": weight "${w['name']}" is listed twice`);
      seen.add(w['name']);
      const shape = w['shape'];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw invalid(source, `"${wat}.shape" (weight "${w['name']}") must be an array of non-negative integers, got ${JSON.stringify(shape)?.slice(0, 60)}`);
      }
      if (typeof w['dtype'] !== 'string' || !(w['dtype'] in ELEMENT_BYTES)) {
        throw invalid(source, `"${wat}.dtype" (weight "${w['name']}") must be one of ${Object.keys(ELEMENT_BYTES).join(', ')}, got ${kind(w['dtype'])}`);
      }
      const q = w['quantization'];
      if (q !== undefined && !(isObject(q) && typeof q['dtype'] === 'string' && q['dtype'] in QUANTIZED_BYTES)) {
        throw invalid(source, `"${wat}.quantization.dtype" (weight "${w['name']}") must be one of ${Object.keys(QUANTIZED_BYTES).join(', ')}`);
      }
    });
    return { paths: paths as string[], weights: weights as TfjsWeightSpec[] };
  });
}

/** Bytes per element as stored in a shard; `string` weights carry their own lengths. */
const ELEMENT_BYTES: Readonly<Record<string, number | undefined>> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: undefined };
const QUANTIZED_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes a group's shards must hold together, or `undefined` when it has string weights. */
export function groupBytes(group: ManifestGroup): number | undefined {
  let total = 0;
  for (const w of group.weights) {
    const per = w.quantization !== undefined ? QUANTIZED_BYTES[w.quantization.dtype] : ELEMENT_BYTES[w.dtype];
    if (per === undefined) return undefined;
    total += per * w.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

export interface ReadWeightsOptions {
  readonly weights?: TfjsWeights | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((p: { loaded: number; total?: number }) => void) | undefined;
}

/**
 * The weight data of every group, concatenated in manifest order (as TF.js expects it),
 * with the flat list of weight specs.
 * @throws InprocError `MODEL_INVALID` naming the missing or mis-sized file, `ABORTED`
 */
export async function readWeights(json: ModelJson, source: ModelSource, options: ReadWeightsOptions): Promise<{ specs: TfjsWeightSpec[]; data: ArrayBuffer }> {
  const groups = json.weightsManifest;
  const specs = groups.flatMap((g) => g.weights);
  const paths = groups.flatMap((g) => g.paths);
  const expected = groups.map(groupBytes);
  const known = expected.every((n) => n !== undefined) ? expected.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
  const base = source.bytes.byteLength;
  const report = (loaded: number): void => options.onProgress?.(known === undefined ? { loaded: base + loaded } : { loaded: base + loaded, total: base + known });

  let buffers: Uint8Array[];
  if (options.weights !== undefined) {
    buffers = inMemoryShards(options.weights, groups, source.name, known);
    report(buffers.reduce((n, b) => n + b.byteLength, 0));
  } else if (paths.length === 0) {
    buffers = [];
  } else if (source.readSibling === undefined) {
    throw invalid(source.name, `the weights manifest lists ${paths.map((p) => `"${p}"`).join(', ')}, but a model.json given as bytes has no files beside it: pass them with backendOptions.weights (or load with fromArtifacts())`);
  } else {
    buffers = [];
    let loaded = 0;
    for (const [g, group] of groups.entries()) {
      for (const [p, path] of group.paths.entries()) {
        throwIfAborted(options.signal, 'the load');
        let bytes: Uint8Array;
        try {
          bytes = await source.readSibling(path, options.signal);
        } catch (error) {
          if (options.signal?.aborted === true || InprocError.is(error, 'ABORTED')) throw error;
          const why = InprocError.is(error, 'MODEL_NOT_FOUND') ? 'is missing' : `cannot be read`;
          throw invalid(source.name, `weight file "${path}" (weightsManifest[${g}].paths[${p}]) ${why}: ${messageOf(error)}`, error);
        }
        buffers.push(bytes);
        loaded += bytes.byteLength;
        report(loaded);
      }
    }
  }
  // Sizes per group: a truncated or padded shard would otherwise decode into garbage weights.
  let index = 0;
  for (const [g, group] of groups.entries()) {
    const shards = buffers.slice(index, index + group.paths.length);
    index += group.paths.length;
    const got = shards.reduce((n, b) => n + b.byteLength, 0);
    const want = expected[g];
    if (want !== undefined && got !== want && options.weights === undefined) {
      const files = group.paths.map((p, i) => `"${p}" (${shards[i]?.byteLength ?? 0} bytes)`).join(', ');
      throw invalid(source.name, `weight file${group.paths.length > 1 ? 's' : ''} ${files} of weightsManifest[${g}] hold${group.paths.length > 1 ? '' : 's'} ${got} bytes, but the ${group.weights.length} weights listed need ${want}`);
    }
  }
  return { specs, data: concat(buffers) };
}

function toBytes(buffer: WeightBuffer): Uint8Array | undefined {
  if (buffer instanceof Uint8Array) return buffer;
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return undefined;
}

/** `backendOptions.weights` as one buffer per manifest path; checks total sizes. */
function inMemoryShards(weights: TfjsWeights, groups: readonly ManifestGroup[], source: string, known: number | undefined): Uint8Array[] {
  const paths = groups.flatMap((g) => g.paths);
  const single = toBytes(weights as WeightBuffer);
  let buffers: Uint8Array[];
  if (single !== undefined) {
    if (known !== undefined && single.byteLength !== known) {
      throw invalid(source, `backendOptions.weights holds ${single.byteLength} bytes, but the weights manifest lists ${known} bytes of weights`);
    }
    // One concatenated buffer: split by group so the per-group check below still applies.
    buffers = [];
    let offset = 0;
    for (const group of groups) {
      const size = groupBytes(group);
      const end = size === undefined ? single.byteLength : offset + size;
      buffers.push(single.subarray(offset, end), ...group.paths.slice(1).map(() => new Uint8Array(0)));
      offset = end;
    }
    if (groups.length === 0 && single.byteLength > 0) throw invalid(source, `backendOptions.weights holds ${single.byteLength} bytes, but the model lists no weights`);
    return buffers;
  }
  if (Array.isArray(weights)) {
    const list = weights as readonly WeightBuffer[];
    if (list.length !== paths.length) throw new InprocError('INPUT_INVALID', `backendOptions.weights has ${list.length} buffers, but the weights manifest of ${source} lists ${paths.length} files`);
    buffers = list.map((b, i) => toBytes(b) ?? badBuffer(`backendOptions.weights[${i}]`, b));
  } else if (typeof weights === 'object' && weights !== null) {
    const record = weights as Readonly<Record<string, WeightBuffer>>;
    const byPath = new Map(Object.entries(record).map(([k, v]) => [normalise(k), v] as const));
    const listed = new Set(paths.map(normalise));
    for (const key of Object.keys(record)) {
      if (!listed.has(normalise(key))) throw new InprocError('INPUT_INVALID', `backendOptions.weights has "${key}", which the weights manifest of ${source} does not list (it lists ${paths.map((p) => `"${p}"`).join(', ') || 'no files'})`);
    }
    buffers = paths.map((p) => {
      const b = byPath.get(normalise(p));
      if (b === undefined) throw invalid(source, `weight file "${p}" is missing from backendOptions.weights`);
      return toBytes(b) ?? badBuffer(`backendOptions.weights["${p}"]`, b);
    });
  } else {
    throw new InprocError('INPUT_INVALID', `backendOptions.weights must be a Uint8Array, an ArrayBuffer, an array of them or a record by file name`);
  }
  let index = 0;
  for (const [g, group] of groups.entries()) {
    const got = buffers.slice(index, index + group.paths.length).reduce((n, b) => n + b.byteLength, 0);
    index += group.paths.length;
    const want = groupBytes(group);
    if (want !== undefined && got !== want) {
      throw invalid(source, `backendOptions.weights: the files of weightsManifest[${g}] (${group.paths.map((p) => `"${p}"`).join(', ')}) hold ${got} bytes, but the ${group.weights.length} weights listed need ${want}`);
    }
  }
  return buffers;
}

function badBuffer(what: string, value: unknown): never {
  throw new InprocError('INPUT_INVALID', `${what} must be a Uint8Array or an ArrayBuffer, got ${value === null ? 'null' : typeof value}`);
}

const normalise = (p: string): string => p.replace(/^\.\//, '');

function concat(buffers: readonly Uint8Array[]): ArrayBuffer {
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
