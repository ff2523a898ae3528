/**
 * Reads the descriptive fields of an ONNX `ModelProto` (producer, IR version, opsets,
 * metadata properties) straight from the protobuf, without parsing the graph. Shared by
 * the ONNX backends and the CLI's `info`.
 * @module
 */
import type { ModelSource } from './backend.js';
import { InprocError } from './errors.js';

/** Descriptive facts of an ONNX model. */
export interface OnnxMetadata {
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  /** Operator set versions by domain (`''` is the default ONNX domain). */
  readonly opsets: Readonly<Record<string, number>>;
  /** `metadata_props` key/value pairs. */
  readonly properties: Readonly<Record<string, string>>;
}

interface Field {
  readonly field: number;
  readonly wire: number;
  readonly value: number;
  readonly bytes: Uint8Array;
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10 && pos < bytes.length; i++) {
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('bad varint');
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) yield { field, wire, value: varint(), bytes: new Uint8Array(0) };
    else if (wire === 2) {
      const length = varint();
      if (length > bytes.length - pos) throw new Error('truncated');
      yield { field, wire, value: length, bytes: bytes.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();

/** The model's descriptive fields, or `undefined` when the bytes are not a readable ModelProto. */
export function readOnnxMetadata(bytes: Uint8Array): OnnxMetadata | undefined {
  const out: { -readonly [K in keyof OnnxMetadata]: OnnxMetadata[K] } = { opsets: {}, properties: {} };
  const opsets: Record<string, number> = {};
  const properties: Record<string, string> = {};
  try {
    for (const f of fields(bytes)) {
      switch (f.field) {
        case 1: out.irVersion = f.value; break;
        case 2: out.producerName = utf8.decode(f.bytes); break;
        case 3: out.producerVersion = utf8.decode(f.bytes); break;
        case 4: out.domain = utf8.decode(f.bytes); break;
        case 5: out.modelVersion = f.value; break;
        case 6: out.docString = utf8.decode(f.bytes); break;
        case 8: {
          let domain = '';
          let version = 0;
          for (const g of fields(f.bytes)) {
            if (g.field === 1 && g.wire === 2) domain = utf8.decode(g.bytes);
            if (g.field === 2 && g.wire === 0) version = g.value;
          }
          opsets[domain] = version;
          break;
        }
        case 14: {
          let key = '';
          let value = '';
          for (const g of fields(f.bytes)) {
            if (g.field === 1 && g.wire === 2) key = utf8.decode(g.bytes);
            if (g.field === 2 && g.wire === 2) value = utf8.decode(g.bytes);
          }
          properties[key] = value;
          break;
        }
        default:
      }
    }
  } catch {
    return undefined;
  }
  out.opsets = opsets;
  out.properties = properties;
  return out;
}

/** Where in the ONNX schema a TensorProto can sit (field numbers of onnx.proto3), for {@link onnxExternalDataFiles}. */
const Onnx = {
  ModelGraph: 7,
  ModelFunctions: 25,
  ModelTrainingInfo: 20,
  TrainingInitialization: 1,
  TrainingAlgorithm: 2,
  FunctionNode: 7,
  GraphNode: 1,
  GraphInitializer: 5,
  GraphSparseInitializer: 15,
  NodeAttribute: 5,
  AttributeTensor: 5,
  AttributeGraph: 6,
  AttributeTensors: 10,
  AttributeGraphs: 11,
  AttributeSparseTensor: 22,
  AttributeSparseTensors: 23,
  SparseValues: 1,
  SparseIndices: 2,
  TensorExternalData: 13,
} as const;

/** Graphs nest through If/Loop/Scan bodies; deeper than this is not a model but an attack on the walker's stack. */
const MAX_GRAPH_DEPTH = 64;

/**
 * The files an ONNX model keeps tensors in ("external data": the `location` of every
 * initializer, sparse initializer, constant or attribute tensor stored outside the
 * protobuf, in subgraphs and functions too), without duplicates; `[]` for a self-contained
 * model. `undefined` when the bytes cannot be walked as a ModelProto: then nobody can say
 * which files the runtime would open, and the caller must refuse the model.
 */
export function onnxExternalDataFiles(bytes: Uint8Array): readonly string[] | undefined {
  const files = new Set<string>();
  const tensor = (b: Uint8Array): void => {
    for (const f of fields(b)) {
      if (f.field === Onnx.TensorExternalData && f.wire === 2) {
        let key = '';
        let value = '';
        for (const g of fields(f.bytes)) {
          if (g.field === 1 && g.wire === 2) key = utf8.decode(g.bytes);
          if (g.field === 2 && g.wire === 2) value = utf8.decode(g.bytes);
        }
        if (key === 'location') files.add(value);
      }
    }
  };
  const sparse = (b: Uint8Array): void => {
    for (const f of fields(b)) if ((f.field === Onnx.SparseValues || f.field === Onnx.SparseIndices) && f.wire === 2) tensor(f.bytes);
  };
  const node = (b: Uint8Array, depth: number): void => {
    for (const f of fields(b)) {
      if (f.field !== Onnx.NodeAttribute || f.wire !== 2) continue;
      for (const a of fields(f.bytes)) {
        if (a.wire !== 2) continue;
        if (a.field === Onnx.AttributeTensor || a.field === Onnx.AttributeTensors) tensor(a.bytes);
        else if (a.field === Onnx.AttributeGraph || a.field === Onnx.AttributeGraphs) graph(a.bytes, depth + 1);
        else if (a.field === Onnx.AttributeSparseTensor || a.field === Onnx.AttributeSparseTensors) sparse(a.bytes);
      }
    }
  };
  const graph = (b: Uint8Array, depth: number): void => {
    if (depth > MAX_GRAPH_DEPTH) throw new Error('graphs nested too deeply');
    for (const f of fields(b)) {
      if (f.wire !== 2) continue;
      if (f.field === Onnx.GraphNode) node(f.bytes, depth);
      else if (f.field === Onnx.GraphInitializer) tensor(f.bytes);
      else if (f.field === Onnx.GraphSparseInitializer) sparse(f.bytes);
    }
  };
  try {
    for (const f of fields(bytes)) {
      if (f.wire !== 2) continue;
      if (f.field === Onnx.ModelGraph) graph(f.bytes, 0);
      else if (f.field === Onnx.ModelFunctions) {
        for (const g of fields(f.bytes)) if (g.field === Onnx.FunctionNode && g.wire === 2) node(g.bytes, 0);
      } else if (f.field === Onnx.ModelTrainingInfo) {
        for (const g of fields(f.bytes)) if ((g.field === Onnx.TrainingInitialization || g.field === Onnx.TrainingAlgorithm) && g.wire === 2) graph(g.bytes, 0);
      }
    }
  } catch {
    return undefined;
  }
  return [...files];
}

/** An external data file of an ONNX model, checked: its name in the model and its absolute path. */
export interface ExternalDataFile {
  readonly location: string;
  readonly path: string;
}

/** The external data files a model names, or a coded refusal: unwalkable bytes, or external data with nowhere to read it from. */
function externalLocations(source: Pick<ModelSource, 'name' | 'bytes'>, hasDirectory: boolean): readonly string[] {
  const locations = onnxExternalDataFiles(source.bytes);
  if (locations === undefined) throw new InprocError('MODEL_INVALID', `${source.name}: not a readable ONNX protobuf (it cannot be checked for external data files)`);
  if (locations.length > 0 && !hasDirectory) {
    throw new InprocError('MODEL_INVALID', `${source.name}: its tensors are in external data files (${locations.map((l) => `"${l}"`).join(', ')}), which are read from the model's own directory: load the model from its file path or URL, not from bytes`);
  }
  return locations;
}

/**
 * Checks every external data file of an ONNX model before a runtime opens it: each must lie
 * inside the model's own directory (real paths compared) and be a regular file. A model with
 * external data must come from a file path, since runtimes would otherwise resolve the
 * locations against the process's working directory. For ONNX backends that let the
 * runtime read the files (onnxruntime-node, from the model's path).
 * @throws InprocError `MODEL_INVALID` (unwalkable bytes, a model from bytes with external data, a file outside or not regular), `MODEL_NOT_FOUND` (a missing file)
 */
export async function resolveExternalData(source: Pick<ModelSource, 'name' | 'bytes' | 'resolveSibling'>): Promise<readonly ExternalDataFile[]> {
  const resolve = source.resolveSibling;
  const locations = externalLocations(source, resolve !== undefined);
  return Promise.all(locations.map(async (location) => ({ location, path: await resolve!(location) })));
}

/**
 * Reads every external data file of an ONNX model through the source's `readSibling` (a
 * path: inside the model's directory, real paths compared; a URL: the same origin), for
 * runtimes that take the files' bytes (onnxruntime-web's `externalData` option).
 * @throws InprocError as {@link resolveExternalData}
 */
export async function readExternalData(source: Pick<ModelSource, 'name' | 'bytes' | 'readSibling'>, signal?: AbortSignal): Promise<readonly { readonly path: string; readonly data: Uint8Array }[]> {
  const read = source.readSibling;
  const locations = externalLocations(source, read !== undefined);
  return Promise.all(locations.map(async (path) => ({ path, data: await read!(path, signal) })));
}
