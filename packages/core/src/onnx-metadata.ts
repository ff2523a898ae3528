/**
 * Reads the descriptive fields of an ONNX `ModelProto` (producer, IR version, opsets,
 * metadata properties) straight from the protobuf, without parsing the graph. Shared by
 * the ONNX backends and the CLI's `info`.
 * @module
 */

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
