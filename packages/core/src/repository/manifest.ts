/**
 * The `inproc.json` manifest of a model version: its schema and validation. A manifest
 * is untrusted data, so every field is checked for type and range and a bad one gets
 * `MODEL_INVALID` naming the field (`manifest field "warmup.runs": ...`); file names go
 * through the repository's path checks. Unknown keys are reported as warnings (or, in
 * strict mode, rejected) so that a typo such as `"warmpu"` does not pass silently.
 * @module
 */
import { MODEL_FORMATS } from '../backend.js';
import { listBackends } from '../backend-registry.js';
import { InprocError, type ErrorCode } from '../errors.js';
import { checkRelativeFile } from './repository-path.js';
import type { BatchingSpec, Manifest, WarmupSpec } from './repository-types.js';
import type { ProcessorSpec } from '../processing/processor-registry.js';
import { describe } from '../tensor.js';

/** The file name of a version's manifest. */
export const MANIFEST_FILE = 'inproc.json';

/** Free-form JSON in a manifest (metadata, processor params, backend options) nests at most this deep. */
const MAX_JSON_DEPTH = 32;

/** Warm-up's symbolic dimensions: larger would allocate gigabytes from one manifest line. */
export const MAX_WARMUP_DYNAMIC_SIZE = 1 << 16;

/** Manifests are small; a larger file is not one (and reading it whole would be a hazard). */
const MAX_MANIFEST_BYTES = 1 << 20;

/** What {@link parseManifest} returns: the validated manifest, and warnings about the unknown keys it held. */
export interface ParsedManifest {
  readonly manifest: Manifest;
  readonly warnings: readonly string[];
}

type Json = Readonly<Record<string, unknown>>;

/** Fails with a code and the field's path, for manifests (`MODEL_INVALID`) and options (`INPUT_INVALID`). */
class Checker {
  readonly warnings: string[] = [];
  constructor(
    readonly code: ErrorCode,
    readonly what: string,
    readonly strict: boolean,
  ) {}

  fail(field: string, expected: string, value: unknown): never {
    throw new InprocError(this.code, `${this.what} field "${field}": expected ${expected}, got ${describe(value)}`, { details: { field } });
  }

  object(field: string, value: unknown): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'an object', value);
    return value as Json;
  }

  keys(field: string, value: Json, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const path = field === '' ? key : `${field}.${key}`;
      const message = `${this.what}: unknown field "${path}" (known: ${known.join(', ')})`;
      if (this.strict) throw new InprocError(this.code, message, { details: { field: path } });
      this.warnings.push(message);
    }
  }

  string(field: string, value: unknown): string {
    if (typeof value !== 'string' || value === '') this.fail(field, 'a non-empty string', value);
    return value;
  }

  integer(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) this.fail(field, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, value);
    return value;
  }

  number(field: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) this.fail(field, `a number >= ${min}`, value);
    return value;
  }

  file(field: string, value: unknown): string {
    const file = this.string(field, value);
    checkRelativeFile(file, field);
    return file;
  }

  /**
   * Plain JSON data only (no functions, no cycles are possible in parsed JSON), at most
   * {@link MAX_JSON_DEPTH} levels deep; copied so callers cannot mutate it.
   */
  json(field: string, value: unknown): Json {
    return this.copy(field, this.object(field, value), 1) as Json;
  }

  private copy(field: string, value: unknown, depth: number): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (depth > MAX_JSON_DEPTH) this.fail(field, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`, value);
    if (Array.isArray(value)) return value.map((item, i) => this.copy(`${field}[${i}]`, item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const copied = this.copy(`${field}.${key}`, item, depth + 1);
      // "__proto__" stays a plain key of the copy.
      Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

/**
 * Parses and validates a manifest's bytes.
 * @throws InprocError `MODEL_INVALID` naming the field; `PATH_OUTSIDE_REPOSITORY` for file names that escape
 */
export function parseManifest(bytes: Uint8Array, where: string, strict = false): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new InprocError('MODEL_INVALID', `${where}: a manifest is at most ${MAX_MANIFEST_BYTES} bytes, this one has ${bytes.byteLength}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InprocError('MODEL_INVALID', `${where}: not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  return validateManifest(value, where, strict);
}

const MANIFEST_KEYS = ['$schema', 'description', 'model', 'format', 'backend', 'device', 'preprocess', 'postprocess', 'labels', 'batching', 'concurrency', 'maxQueue', 'warmup', 'backendOptions', 'metadata'];

/** Validates a parsed manifest. @internal */
export function validateManifest(value: unknown, where: string, strict = false): ParsedManifest {
  const c = new Checker('MODEL_INVALID', `${where}: manifest`, strict);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InprocError('MODEL_INVALID', `${where}: a manifest is a JSON object, got ${describe(value)}`, { details: { field: '' } });
  }
  const raw = value as Json;
  c.keys('', raw, MANIFEST_KEYS);
  const m: { -readonly [K in keyof Manifest]: Manifest[K] } = {};
  if (raw['$schema'] !== undefined) m.$schema = c.string('$schema', raw['$schema']);
  const description = raw['description'];
  if (description !== undefined) m.description = typeof description === 'string' ? description : c.fail('description', 'a string', description);
  if (raw['model'] !== undefined) m.model = c.file('model', raw['model']);
  if (raw['format'] !== undefined) {
    const format = raw['format'];
    if (typeof format !== 'string' || !(MODEL_FORMATS as readonly string[]).includes(format)) c.fail('format', `one of ${MODEL_FORMATS.join(', ')}`, format);
    m.format = format as NonNullable<Manifest['format']>;
  }
  if (raw['backend'] !== undefined) {
    const backend = raw['backend'];
    if (Array.isArray(backend)) {
      if (backend.length === 0) c.fail('backend', 'a backend name or a non-empty list of them', backend);
      m.backend = backend.map((b: unknown, i) => c.string(`backend[${i}]`, b));
    } else m.backend = c.string('backend', backend);
  }
  if (raw['device'] !== undefined) m.device = c.string('device', raw['device']);
  if (raw['preprocess'] !== undefined) m.preprocess = processors(c, 'preprocess', raw['preprocess']);
  if (raw['postprocess'] !== undefined) m.postprocess = processors(c, 'postprocess', raw['postprocess']);
  if (raw['labels'] !== undefined) m.labels = c.file('labels', raw['labels']);
  if (raw['batching'] !== undefined) m.batching = batching(c, raw['batching']);
  if (raw['concurrency'] !== undefined) m.concurrency = c.integer('concurrency', raw['concurrency'], 1);
  if (raw['maxQueue'] !== undefined) m.maxQueue = c.integer('maxQueue', raw['maxQueue'], 0);
  if (raw['warmup'] !== undefined) m.warmup = warmupOf(c, 'warmup', raw['warmup']);
  if (raw['backendOptions'] !== undefined) m.backendOptions = c.json('backendOptions', raw['backendOptions']);
  if (raw['metadata'] !== undefined) m.metadata = c.json('metadata', raw['metadata']);
  return { manifest: m, warnings: c.warnings };
}

function processors(c: Checker, field: string, value: unknown): ProcessorSpec[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((item, i) => {
    const at = Array.isArray(value) ? `${field}[${i}]` : field;
    const spec = c.object(at, item);
    // Unknown keys in a processor spec are errors even when lenient: they would be parameters silently lost.
    for (const key of Object.keys(spec)) if (key !== 'name' && key !== 'params') c.fail(`${at}.${key}`, 'only "name" and "params"', key);
    const name = c.string(`${at}.name`, spec['name']);
    return spec['params'] === undefined ? { name } : { name, params: c.json(`${at}.params`, spec['params']) };
  });
}

function batching(c: Checker, value: unknown): false | BatchingSpec {
  if (value === false) return false;
  const raw = c.object('batching', value);
  c.keys('batching', raw, ['maxBatchSize', 'maxDelayMs', 'preferredSizes', 'declared']);
  const maxBatchSize = c.integer('batching.maxBatchSize', raw['maxBatchSize'], 1);
  const maxDelayMs = c.number('batching.maxDelayMs', raw['maxDelayMs'], 0);
  if (raw['declared'] !== undefined && typeof raw['declared'] !== 'boolean') c.fail('batching.declared', 'a boolean', raw['declared']);
  const declared = raw['declared'] === undefined ? {} : { declared: raw['declared'] };
  if (raw['preferredSizes'] === undefined) return { maxBatchSize, maxDelayMs, ...declared };
  if (!Array.isArray(raw['preferredSizes'])) c.fail('batching.preferredSizes', 'an array of integers', raw['preferredSizes']);
  const preferredSizes = (raw['preferredSizes'] as unknown[]).map((s, i) => {
    const size = c.integer(`batching.preferredSizes[${i}]`, s, 1);
    if (size > maxBatchSize) c.fail(`batching.preferredSizes[${i}]`, `at most maxBatchSize (${maxBatchSize})`, s);
    return size;
  });
  return { maxBatchSize, maxDelayMs, preferredSizes, ...declared };
}

/**
 * Validates warm-up settings: `false`, a number of runs, or a {@link WarmupSpec}.
 * Shared by manifests (`MODEL_INVALID`) and repository options (`INPUT_INVALID`).
 * @internal
 */
export function validateWarmup(value: unknown, where: string, code: ErrorCode): false | WarmupSpec {
  return warmupOf(new Checker(code, where, true), 'warmup', value);
}

function warmupOf(c: Checker, field: string, value: unknown): false | WarmupSpec {
  if (value === false) return false;
  if (value === true) return { runs: 1 };
  if (typeof value === 'number') return { runs: c.integer(field, value, 0) };
  const raw = c.object(field, value);
  c.keys(field, raw, ['runs', 'data', 'samples', 'seed', 'dynamicSize']);
  const spec: { -readonly [K in keyof WarmupSpec]: WarmupSpec[K] } = {};
  if (raw['runs'] !== undefined) spec.runs = c.integer(`${field}.runs`, raw['runs'], 0);
  if (raw['data'] !== undefined) {
    if (raw['data'] !== 'zeros' && raw['data'] !== 'random') c.fail(`${field}.data`, '"zeros" or "random"', raw['data']);
    spec.data = raw['data'];
  }
  if (raw['seed'] !== undefined) spec.seed = c.integer(`${field}.seed`, raw['seed'], 0);
  if (raw['dynamicSize'] !== undefined) spec.dynamicSize = c.integer(`${field}.dynamicSize`, raw['dynamicSize'], 1, MAX_WARMUP_DYNAMIC_SIZE);
  if (raw['samples'] !== undefined) {
    if (spec.data !== undefined) c.fail(`${field}.samples`, 'either "samples" or "data", not both', raw['samples']);
    const sets = Array.isArray(raw['samples']) ? (raw['samples'] as unknown[]) : [raw['samples']];
    if (sets.length === 0) c.fail(`${field}.samples`, 'at least one sample set', raw['samples']);
    const checked = sets.map((set, i) => {
      const at = Array.isArray(raw['samples']) ? `${field}.samples[${i}]` : `${field}.samples`;
      const files = c.object(at, set);
      if (Object.keys(files).length === 0) c.fail(at, 'input names mapped to files', set);
      const out: Record<string, string> = {};
      for (const [input, file] of Object.entries(files)) out[input] = c.file(`${at}.${input}`, file);
      return out;
    });
    spec.samples = Array.isArray(raw['samples']) ? checked : checked[0]!;
  }
  return spec;
}

/** Parses a labels file: a JSON array of strings, or one label per line (trailing empty lines dropped). @internal */
export function parseLabels(bytes: Uint8Array, where: string): readonly string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new InprocError('MODEL_INVALID', `${where}: the labels file is not UTF-8`, { cause: error, details: { field: 'labels' } });
  }
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InprocError('MODEL_INVALID', `${where}: the labels file starts with "[" but is not a JSON array`, { cause: error, details: { field: 'labels' } });
    }
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) {
      throw new InprocError('MODEL_INVALID', `${where}: a JSON labels file must be an array of strings`, { details: { field: 'labels' } });
    }
    return parsed;
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Checks a manifest's `backendOptions` against the threat model: only keys that the backends
 * it may load with declare safe ({@link Backend.manifestOptions}) or that the repository owner
 * allows (`manifestBackendOptions`), holding plain values (scalars, lists of scalars, records
 * of scalars): a provider object could carry a cache path.
 * @throws InprocError `MODEL_INVALID` naming the field
 * @internal
 */
export function checkManifestBackendOptions(manifest: Manifest, where: string, allowed: readonly string[]): void {
  const options = manifest.backendOptions;
  if (options === undefined) return;
  const names = manifest.backend === undefined || manifest.backend === 'auto' ? undefined : new Set(Array.isArray(manifest.backend) ? manifest.backend : [manifest.backend]);
  const safe = new Set(allowed);
  for (const backend of listBackends()) if (names === undefined || names.has(backend.name)) for (const key of backend.manifestOptions ?? []) safe.add(key);
  const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  for (const [key, value] of Object.entries(options)) {
    const field = `backendOptions.${key}`;
    if (!safe.has(key)) {
      throw new InprocError('MODEL_INVALID', `${where}: manifest field "${field}" is not an option a manifest may set (it may name a file, code or a network location); allowed: ${[...safe].sort().join(', ') || 'none'}. The repository owner can allow it with openRepository(root, { manifestBackendOptions: ['${key}'] })`, { details: { field } });
    }
    const plain = scalar(value) || (Array.isArray(value) && value.every(scalar)) || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(scalar));
    if (!plain && !allowed.includes(key)) {
      throw new InprocError('MODEL_INVALID', `${where}: manifest field "${field}" must hold plain values (a scalar, a list of scalars or a record of scalars), got ${describe(value)}`, { details: { field } });
    }
  }
}
