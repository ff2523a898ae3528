/**
 * Turns `--input name=value` arguments into feeds for a model's signature: NumPy `.npy`,
 * JSON (`{dtype, shape, data}`, a nested array, or inline), images (through
 * @inproc/image, when installed) and WAV audio (through @inproc/audio, when installed),
 * plus seeded random data for inputs not given. Values are converted to the input's dtype
 * where that loses nothing a user would care about (float64 .npy data for a float32
 * input), with a note; anything else is left to the model's own validation.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { InprocError, Tensor, isDType, parseNpy, randomFeeds, type DType, type LoadOptions, type Signature, type TensorInfo } from 'inproc';
import { lazyPeer } from 'inproc/backend';
import { formatDims } from './format.js';
import { UsageError, type CommandName } from './usage.js';

/** What the input options say. */
export interface InputOptions {
  readonly input?: readonly string[] | undefined;
  readonly random?: boolean | undefined;
  readonly dim?: readonly string[] | undefined;
  readonly seed?: string | undefined;
  readonly 'image-size'?: string | undefined;
  readonly mean?: string | undefined;
  readonly std?: string | undefined;
  readonly 'sample-rate'?: string | undefined;
}

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
export const AUDIO_EXTENSIONS = new Set(['.wav', '.wave']);

/** A feed with how it was made, for the summary. */
export interface Feed {
  readonly tensor: Tensor;
  /** `file.npy`, `random`, `image photo.jpg (1920x1080 -> 224x224)`, ... */
  readonly origin: string;
}

function numberList(value: string | undefined, option: string, command: CommandName): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v))) throw new UsageError(`--${option} must be comma-separated numbers, got "${value}"`, command);
  return list;
}

/** Sizes given with --dim: symbolic dimensions by name (`batch=4`), any dynamic one by input and axis (`input[1]=512`). */
interface DimSizes {
  readonly named: ReadonlyMap<string, number>;
  /** `input` -> axis -> size. */
  readonly axes: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/** `--dim` values as `[name or input[axis], size]`, checked for form only. */
function dimEntries(values: readonly string[] | undefined, command: CommandName): [string, number, string][] {
  return (values ?? []).map((v) => {
    const m = /^(.+)=(\d+)$/.exec(v);
    if (m === null || Number(m[2]) < 1) throw new UsageError(`--dim must be name=size or input[axis]=size with a positive size, got "${v}"`, command);
    return [m[1]!, Number(m[2]), v];
  });
}

/** Parses `--dim` values and checks `input[axis]` ones against the signature. */
function dims(values: readonly string[] | undefined, signature: Signature, command: CommandName): DimSizes {
  const named = new Map<string, number>();
  const axes = new Map<string, Map<number, number>>();
  for (const [key, size, v] of dimEntries(values, command)) {
    const axis = /^(.+)\[(\d+)\]$/.exec(key);
    if (axis === null) {
      named.set(key, size);
      continue;
    }
    const input = axis[1]!;
    const index = Number(axis[2]);
    const info = signature.inputs.find((i) => i.name === input);
    if (info === undefined) throw new UsageError(`--dim ${v}: the model has no input "${input}"; its inputs: ${signature.inputs.map((i) => i.name).join(', ')}`, command);
    const declared = info.shape[index];
    if (info.unknownRank !== true && (index >= info.shape.length || (typeof declared === 'number' && declared >= 0))) {
      throw new UsageError(`--dim ${v}: axis ${index} of input "${input}" ${formatDims(info.shape)} is ${index >= info.shape.length ? 'out of range' : 'fixed'}`, command);
    }
    const byAxis = axes.get(input) ?? new Map<number, number>();
    byAxis.set(index, size);
    axes.set(input, byAxis);
  }
  return { named, axes };
}

/** The size --dim gives axis `axis` of `info`, or the declared fixed size, else undefined. */
function dimSize(info: TensorInfo, axis: number, sizes: DimSizes): number | undefined {
  const d = info.shape[axis];
  if (typeof d === 'number' && d >= 0) return d;
  return sizes.axes.get(info.name)?.get(axis) ?? (typeof d === 'string' ? sizes.named.get(d) : undefined);
}

/** The concrete shape of an input: fixed dimensions, --dim sizes for dynamic ones, else `fallback`. */
function concreteShape(info: TensorInfo, sizes: DimSizes, fallback = 1): number[] {
  return info.shape.map((_, axis) => dimSize(info, axis, sizes) ?? fallback);
}

/** Converts a tensor's values to `dtype` (numbers <-> bigints as needed). */
function convert(tensor: Tensor, dtype: DType): Tensor {
  const values = Array.from(tensor.data as ArrayLike<number | bigint | boolean>);
  if (dtype === 'int64' || dtype === 'uint64') return new Tensor(dtype, values.map((v) => BigInt(typeof v === 'bigint' ? v : Math.round(Number(v)))), tensor.shape);
  if (dtype === 'bool') return new Tensor('bool', values.map((v) => Boolean(v)), tensor.shape);
  return new Tensor(dtype, values.map((v) => Number(v)), tensor.shape);
}

const NUMERIC: ReadonlySet<DType> = new Set(['float16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/** The tensor in the input's dtype: a lossless-enough numeric conversion with a note, else as it is (the model reports the mismatch). */
function toInputDtype(tensor: Tensor, info: TensorInfo, notes: string[], where: string): Tensor {
  if (tensor.dtype === info.dtype || !NUMERIC.has(tensor.dtype) || !NUMERIC.has(info.dtype) || info.dtype === 'float16') return tensor;
  notes.push(`input "${info.name}": ${where} holds ${tensor.dtype}, converted to the model's ${info.dtype}`);
  return convert(tensor, info.dtype);
}

/** Shape of a nested JSON array, or undefined when it is ragged or not numbers/bools. */
function nestedShape(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? [] : undefined;
  if (value.length === 0) return [0];
  const inner = nestedShape(value[0]);
  if (inner === undefined) return undefined;
  for (const item of value) if (JSON.stringify(nestedShape(item)) !== JSON.stringify(inner)) return undefined;
  return [value.length, ...inner];
}

function fromJson(value: unknown, info: TensorInfo, where: string): Tensor {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { dtype, shape, data } = value as Record<string, unknown>;
    if (!isDType(dtype) || !Array.isArray(shape) || !Array.isArray(data)) throw new InprocError('INPUT_INVALID', `${where}: expected {"dtype", "shape", "data"} or a (nested) array`);
    return new Tensor(dtype, (data as unknown[]).flat(Infinity) as never, shape as number[]);
  }
  const shape = nestedShape(value);
  if (shape === undefined) throw new InprocError('INPUT_INVALID', `${where}: a nested array must be rectangular and hold numbers, booleans or strings`);
  const flat = (Array.isArray(value) ? value.flat(Infinity) : [value]) as unknown[];
  const dtype = info.dtype;
  if (dtype === 'string') return new Tensor('string', flat.map(String), shape);
  if (dtype === 'bool') return new Tensor('bool', flat.map(Boolean), shape);
  if (dtype === 'int64' || dtype === 'uint64') return new Tensor(dtype, flat.map((v) => BigInt(Math.round(Number(v)))), shape);
  return new Tensor(dtype, flat.map(Number), shape);
}

// Optional peers, imported on first use; a missing one says which package to install.
const importImage = lazyPeer<ImageModule>('@inproc/image', () => import('@inproc/image'), { neededBy: 'an image input' });
const importAudio = lazyPeer<AudioModule>('@inproc/audio', () => import('@inproc/audio'), { neededBy: 'an audio input' });

interface ImageModule {
  imageToTensor(source: string, options: Record<string, unknown>): Promise<{ tensor: Tensor; transforms: readonly { original: { width: number; height: number }; size: { width: number; height: number } }[] }>;
}
interface AudioModule {
  readWav(path: string): Promise<{ samples: Float32Array; sampleRate: number; channels: number; duration: number }>;
  resample(clip: { samples: Float32Array; sampleRate: number }, rate: number): { samples: Float32Array; sampleRate: number };
}

async function fromImage(path: string, info: TensorInfo, options: InputOptions, sizes: DimSizes, command: CommandName): Promise<Feed> {
  const image = await importImage();
  const shape = info.shape;
  if (shape.length !== 3 && shape.length !== 4) throw new InprocError('INPUT_SHAPE', `input "${info.name}" has rank ${shape.length}; an image fills a rank-3 or rank-4 input ([batch,] channels and height and width)`);
  const rest = shape.length === 4 ? shape.slice(1) : shape;
  const isChannels = (d: unknown): boolean => d === 1 || d === 3;
  // Channel position as declared: NCHW when the first non-batch dimension is 1 or 3, NHWC when the last is.
  const layout = isChannels(rest[0]) ? 'nchw' : isChannels(rest[2]) ? 'nhwc' : 'nchw';
  const offset = shape.length - 3;
  const [hAxis, wAxis] = layout === 'nchw' ? [offset + 1, offset + 2] : [offset, offset + 1];
  const channels = (layout === 'nchw' ? rest[0] : rest[2]) === 1 ? 1 : 3;
  let width = dimSize(info, wAxis, sizes);
  let height = dimSize(info, hAxis, sizes);
  const size = options['image-size'];
  if (size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(size);
    if (m === null) throw new UsageError(`--image-size must be WIDTHxHEIGHT, e.g. 640x480, got "${size}"`, command);
    width = Number(m[1]);
    height = Number(m[2]);
  }
  const dtype = info.dtype === 'uint8' || info.dtype === 'int32' ? info.dtype : 'float32';
  const mean = numberList(options.mean, 'mean', command);
  const std = numberList(options.std, 'std', command);
  const { tensor, transforms } = await image.imageToTensor(path, {
    ...(width !== undefined && height !== undefined ? { width, height, fit: 'fill' } : { multipleOf: 32 }),
    layout,
    dtype,
    ...(channels === 1 ? { grayscale: true } : {}),
    ...(mean === undefined ? {} : { mean }),
    ...(std === undefined ? {} : { std }),
    batchDim: shape.length === 4,
  });
  const t = transforms[0];
  // What was done to the pixels, in order: --mean and --std apply after the scaling.
  const steps = [
    layout.toUpperCase(),
    ...(dtype === 'float32' ? ['scaled to [0, 1]'] : []),
    ...(mean === undefined ? [] : [`minus mean ${mean.join(', ')}`]),
    ...(std === undefined ? [] : [`divided by std ${std.join(', ')}`]),
  ];
  const geometry = t === undefined ? '' : ` (${t.original.width}x${t.original.height} -> ${t.size.width}x${t.size.height}, ${steps.join(', ')})`;
  return { tensor, origin: `image ${path}${geometry}` };
}

async function fromAudio(path: string, info: TensorInfo, options: InputOptions, command: CommandName): Promise<Feed> {
  const audio = await importAudio();
  let clip: { samples: Float32Array; sampleRate: number } = await audio.readWav(path);
  const rate = options['sample-rate'];
  if (rate !== undefined) {
    const hz = Number(rate);
    if (!Number.isSafeInteger(hz) || hz < 1) throw new UsageError(`--sample-rate must be a positive integer, got "${rate}"`, command);
    clip = audio.resample(clip, hz);
  }
  const last = info.shape.at(-1);
  let samples = clip.samples;
  // A fixed-length input (a frame) takes the first N samples, zero-padded.
  if (typeof last === 'number' && last > 0 && last !== samples.length) {
    const frame = new Float32Array(last);
    frame.set(samples.subarray(0, last));
    samples = frame;
  }
  const shape = info.shape.length <= 1 ? [samples.length] : [...Array<number>(info.shape.length - 1).fill(1), samples.length];
  return { tensor: new Tensor('float32', samples, shape), origin: `audio ${path} (${samples.length} samples at ${clip.sampleRate} Hz)` };
}

/**
 * The feeds for `signature` from the options. `notes` collects what the user should know
 * (conversions, random inputs).
 */
export async function buildFeeds(signature: Signature, options: InputOptions, cwd: string, command: CommandName, notes: string[]): Promise<Record<string, Feed>> {
  const sizes = dims(options.dim, signature, command);
  const feeds: Record<string, Feed> = {};
  const byName = new Map(signature.inputs.map((i) => [i.name, i]));
  for (const spec of options.input ?? []) {
    const eq = spec.indexOf('=');
    let name: string;
    let value: string;
    if (eq > 0 && byName.has(spec.slice(0, eq))) {
      name = spec.slice(0, eq);
      value = spec.slice(eq + 1);
    } else if (eq > 0 && !existsSync(resolve(cwd, spec))) {
      throw new UsageError(`--input ${spec}: the model has no input "${spec.slice(0, eq)}"; its inputs: ${[...byName.keys()].join(', ')}`, command);
    } else if (signature.inputs.length === 1) {
      name = signature.inputs[0]!.name;
      value = spec;
    } else {
      throw new UsageError(`--input ${spec}: name the input (name=value); the model's inputs: ${[...byName.keys()].join(', ')}`, command);
    }
    if (feeds[name] !== undefined) throw new UsageError(`--input ${name} is given twice`, command);
    const info = byName.get(name)!;
    const path = resolve(cwd, value);
    const ext = extname(value).toLowerCase();
    if (!existsSync(path)) {
      if (/^\s*[[{\d.-]/.test(value) && !/\.(npy|json|wav|jpe?g|png|webp)$/i.test(value)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw new UsageError(`--input ${name}: "${value}" is neither a file nor valid JSON`, command);
        }
        feeds[name] = { tensor: toInputDtype(fromJson(parsed, info, `--input ${name}`), info, notes, 'the JSON'), origin: 'inline JSON' };
        continue;
      }
      throw new InprocError('INPUT_INVALID', `input "${name}": no such file: ${value}`);
    }
    if (IMAGE_EXTENSIONS.has(ext)) feeds[name] = await fromImage(path, info, options, sizes, command);
    else if (AUDIO_EXTENSIONS.has(ext)) feeds[name] = await fromAudio(path, info, options, command);
    else if (ext === '.json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        throw new InprocError('INPUT_INVALID', `input "${name}": ${value} is not valid JSON`, { cause: error });
      }
      feeds[name] = { tensor: toInputDtype(fromJson(parsed, info, value), info, notes, value), origin: value };
    } else {
      // .npy, or any other file: parseNpy says clearly when it is not one.
      const bytes = new Uint8Array(await readFile(path));
      let tensor: Tensor;
      try {
        tensor = parseNpy(bytes, value);
      } catch (error) {
        // parseNpy says MODEL_INVALID (it reads warm-up samples of a model); here the file is an input.
        if (ext === '.npy') throw InprocError.is(error) ? new InprocError('INPUT_INVALID', `input "${name}": ${error.message}`, { cause: error }) : error;
        throw new InprocError('INPUT_INVALID', `input "${name}": ${value} is not a .npy, .json, image (${[...IMAGE_EXTENSIONS].join(' ')}) or audio (.wav) file`, { cause: error });
      }
      feeds[name] = { tensor: toInputDtype(tensor, info, notes, value), origin: value };
    }
  }
  const missing = signature.inputs.filter((i) => feeds[i.name] === undefined);
  const fillRandom = options.random === true || (options.input ?? []).length === 0;
  if (missing.length > 0 && fillRandom) {
    const seed = options.seed === undefined ? 1 : Number(options.seed);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${options.seed ?? ''}"`, command);
    const random = randomFeeds({ inputs: missing.map((i) => ({ ...i, shape: concreteShape(i, sizes) })), outputs: [] }, { seed });
    for (const info of missing) {
      const tensor = random[info.name]!;
      feeds[info.name] = { tensor, origin: 'random' };
    }
    // Dynamic dimensions that --dim did not set were 1: say which (but an unnamed leading one, a batch of 1, goes without saying).
    const unset = [...new Set(missing.flatMap((i) => i.shape.flatMap((d, axis) => (dimSize(i, axis, sizes) === undefined && (d !== null || axis > 0) ? [typeof d === 'string' ? d : `${i.name}[${axis}]`] : []))))];
    const hint = unset.length === 0 ? '' : ` — 1 for ${unset.join(', ')}; set dynamic dimensions with --dim name=size (symbolic) or --dim input[axis]=size`;
    notes.push(`random inputs (seed ${seed}): ${missing.map((i) => `${i.name} ${i.dtype} [${feeds[i.name]!.tensor.shape.join(', ')}]`).join(', ')}${hint}`);
  }
  return feeds;
}

/** A command's inputs, for the load and for the runs after it. */
export interface CommandFeeds {
  /**
   * For `loadModel`: `--dim` as `dims`, and with `device: 'fastest'` the command's own inputs
   * as the `warmup.feeds` it times devices on (no warm-up runs of its own), so that a model
   * that needs real inputs (an audio frame, a sample rate) is timed on what the command runs.
   */
  readonly load: Pick<LoadOptions, 'dims' | 'warmup'>;
  /** The feeds for the loaded model: built once (during the load, when 'fastest' asked first). */
  feeds(signature: Signature): Promise<Record<string, Feed>>;
}

/** The inputs of `run`/`bench` for one load on `device`; see {@link CommandFeeds}. */
export function commandFeeds(options: InputOptions, cwd: string, command: CommandName, notes: string[], device: string | undefined): CommandFeeds {
  const entries = dimEntries(options.dim, command);
  let built: Promise<Record<string, Feed>> | undefined;
  const feeds = (signature: Signature): Promise<Record<string, Feed>> => (built ??= buildFeeds(signature, options, cwd, command, notes));
  const tensors = async (signature: Signature): Promise<Record<string, Tensor>> => Object.fromEntries(Object.entries(await feeds(signature)).map(([name, feed]) => [name, feed.tensor]));
  return {
    load: {
      ...(entries.length === 0 ? {} : { dims: Object.fromEntries(entries.map(([key, size]) => [key, size])) }),
      ...(device === 'fastest' ? { warmup: { runs: 0, feeds: tensors } } : {}),
    },
    feeds,
  };
}
