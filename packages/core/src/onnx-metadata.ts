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

/**
 * Calls `visit` for each field of the protobuf message in `bytes[start, end)`, in order: its
 * number, wire type, and for a varint (wire 0) its value, for a length-delimited field (wire 2)
 * its payload's bounds `[value, to)`. Fixed-width fields are skipped unread. Allocates nothing
 * per field: a model's graph has tens of thousands of them, walked before the runtime loads it
 * (a generator yielding a record and a subarray per field took 15-25 ms on Silero VAD).
 * @throws Error on a malformed message: a bad varint, a payload past `end`, an unknown wire type
 */
function eachField(bytes: Uint8Array, start: number, end: number, visit: (field: number, wire: number, value: number, to: number) => void): void {
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10 && pos < end; i++) {
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('bad varint');
  };
  while (pos < end) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const value = varint();
      visit(field, 0, value, pos);
    } else if (wire === 2) {
      const length = varint();
      if (length > end - pos) throw new Error('truncated');
      const from = pos;
      pos += length;
      visit(field, 2, from, pos);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();

/** A key/value message (`StringStringEntryProto`: key 1, value 2) in `bytes[from, to)`. */
function keyValue(bytes: Uint8Array, from: number, to: number): [string, string] {
  let key = '';
  let value = '';
  eachField(bytes, from, to, (field, wire, start, end) => {
    if (field === 1 && wire === 2) key = utf8.decode(bytes.subarray(start, end));
    if (field === 2 && wire === 2) value = utf8.decode(bytes.subarray(start, end));
  });
  return [key, value];
}

/** The model's descriptive fields, or `undefined` when the bytes are not a readable ModelProto. */
export function readOnnxMetadata(bytes: Uint8Array): OnnxMetadata | undefined {
  const out: { -readonly [K in keyof OnnxMetadata]: OnnxMetadata[K] } = { opsets: {}, properties: {} };
  const opsets: Record<string, number> = {};
  const properties: Record<string, string> = {};
  try {
    eachField(bytes, 0, bytes.length, (field, wire, value, to) => {
      // As a field of any wire type reads: a number (a varint, or a payload's length) and a payload (empty but for wire 2).
      const number = wire === 2 ? to - value : value;
      const from = wire === 2 ? value : 0;
      const end = wire === 2 ? to : 0;
      const text = (): string => utf8.decode(bytes.subarray(from, end));
      switch (field) {
        case 1: out.irVersion = number; break;
        case 2: out.producerName = text(); break;
        case 3: out.producerVersion = text(); break;
        case 4: out.domain = text(); break;
        case 5: out.modelVersion = number; break;
        case 6: out.docString = text(); break;
        case 8: {
          let domain = '';
          let version = 0;
          eachField(bytes, from, end, (g, gWire, gValue, gTo) => {
            if (g === 1 && gWire === 2) domain = utf8.decode(bytes.subarray(gValue, gTo));
            if (g === 2 && gWire === 0) version = gValue;
          });
          opsets[domain] = version;
          break;
        }
        case 14: {
          const [key, entry] = keyValue(bytes, from, end);
          properties[key] = entry;
          break;
        }
        default:
      }
    });
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
  // Each walks the message in bytes[from, to).
  const tensor = (from: number, to: number): void => {
    eachField(bytes, from, to, (field, wire, value, end) => {
      if (field === Onnx.TensorExternalData && wire === 2) {
        const [key, location] = keyValue(bytes, value, end);
        if (key === 'location') files.add(location);
      }
    });
  };
  const sparse = (from: number, to: number): void => {
    eachField(bytes, from, to, (field, wire, value, end) => {
      if ((field === Onnx.SparseValues || field === Onnx.SparseIndices) && wire === 2) tensor(value, end);
    });
  };
  const node = (from: number, to: number, depth: number): void => {
    eachField(bytes, from, to, (field, wire, value, end) => {
      if (field !== Onnx.NodeAttribute || wire !== 2) return;
      eachField(bytes, value, end, (a, aWire, aValue, aEnd) => {
        if (aWire !== 2) return;
        if (a === Onnx.AttributeTensor || a === Onnx.AttributeTensors) tensor(aValue, aEnd);
        else if (a === Onnx.AttributeGraph || a === Onnx.AttributeGraphs) graph(aValue, aEnd, depth + 1);
        else if (a === Onnx.AttributeSparseTensor || a === Onnx.AttributeSparseTensors) sparse(aValue, aEnd);
      });
    });
  };
  const graph = (from: number, to: number, depth: number): void => {
    if (depth > MAX_GRAPH_DEPTH) throw new Error('graphs nested too deeply');
    eachField(bytes, from, to, (field, wire, value, end) => {
      if (wire !== 2) return;
      if (field === Onnx.GraphNode) node(value, end, depth);
      else if (field === Onnx.GraphInitializer) tensor(value, end);
      else if (field === Onnx.GraphSparseInitializer) sparse(value, end);
    });
  };
  try {
    eachField(bytes, 0, bytes.length, (field, wire, value, end) => {
      if (wire !== 2) return;
      if (field === Onnx.ModelGraph) graph(value, end, 0);
      else if (field === Onnx.ModelFunctions) {
        eachField(bytes, value, end, (g, gWire, gValue, gEnd) => {
          if (g === Onnx.FunctionNode && gWire === 2) node(gValue, gEnd, 0);
        });
      } else if (field === Onnx.ModelTrainingInfo) {
        eachField(bytes, value, end, (g, gWire, gValue, gEnd) => {
          if ((g === Onnx.TrainingInitialization || g === Onnx.TrainingAlgorithm) && gWire === 2) graph(gValue, gEnd, 0);
        });
      }
    });
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
