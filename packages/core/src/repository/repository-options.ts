/**
 * The options of `openRepository`, checked once into the repository's settings
 * (defaults filled in, per-model overrides resolved, warm-up specs validated).
 * @module
 * @internal
 */
import { InprocError, messageOf } from '../errors.js';
import { validateWarmup } from './manifest.js';
import { checkModelName, checkRelativeFile } from './repository-path.js';
import type { RepositoryLoadOptions, RepositoryModelOptions, RepositoryOptions, VersionPolicy, WarmupSpec } from './repository-types.js';
import { describe } from '../tensor.js';
import { DEFAULT_VERSION_POLICY, checkVersionPolicy } from './version-policy.js';

const DEFAULT_DEBOUNCE_MS = 200;
const OPTION_KEYS = ['versionPolicy', 'models', 'load', 'warmup', 'maxBytes', 'maxModels', 'overcommit', 'idleTimeoutMs', 'watch', 'readyMarker', 'strictManifests', 'manifestBackendOptions', 'indexFile'];

/** {@link RepositoryOptions}, checked and with defaults. */
export interface Settings {
  readonly policy: VersionPolicy;
  readonly models: Readonly<Record<string, { readonly policy: VersionPolicy | undefined; readonly load: RepositoryLoadOptions | undefined; readonly warmup: false | WarmupSpec | undefined }>>;
  readonly load: RepositoryLoadOptions;
  readonly warmup: false | WarmupSpec | undefined;
  readonly maxBytes: number;
  readonly maxModels: number;
  readonly overcommit: boolean;
  readonly idleTimeoutMs: number | undefined;
  readonly watch: number | undefined;
  readonly readyMarker: string | undefined;
  readonly strictManifests: boolean;
  readonly manifestBackendOptions: readonly string[];
  readonly indexFile: string;
}

/** Checks `openRepository` options. @throws InprocError `INPUT_INVALID` naming the option at fault */
export function checkOptions(options: RepositoryOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `openRepository options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new InprocError('INPUT_INVALID', `openRepository: unknown option "${key}"; known: ${OPTION_KEYS.join(', ')}`);
  }
  const limit = (field: string, value: unknown, integer: boolean): number => {
    if (value === undefined) return Number.POSITIVE_INFINITY;
    const ok = typeof value === 'number' && value > 0 && (value === Number.POSITIVE_INFINITY || (integer ? Number.isSafeInteger(value) : Number.isFinite(value)));
    if (!ok) throw new InprocError('INPUT_INVALID', `options.${field} must be a positive ${integer ? 'integer' : 'number'}, got ${describe(value)}`);
    return value;
  };
  const maxBytes = limit('maxBytes', options.maxBytes, false);
  const maxModels = limit('maxModels', options.maxModels, true);
  let idleTimeoutMs: number | undefined;
  if (options.idleTimeoutMs !== undefined) {
    const v = options.idleTimeoutMs;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InprocError('INPUT_INVALID', `options.idleTimeoutMs must be a positive number of milliseconds, got ${describe(v)}`);
    idleTimeoutMs = v;
  }
  let watch: number | undefined;
  const w = options.watch as unknown;
  if (w === true) watch = DEFAULT_DEBOUNCE_MS;
  else if (typeof w === 'object' && w !== null) {
    const debounce = (w as { debounceMs?: unknown }).debounceMs ?? DEFAULT_DEBOUNCE_MS;
    if (typeof debounce !== 'number' || !Number.isFinite(debounce) || debounce < 0) throw new InprocError('INPUT_INVALID', `options.watch.debounceMs must be a non-negative number, got ${describe(debounce)}`);
    watch = debounce;
  } else if (w !== undefined && w !== false) throw new InprocError('INPUT_INVALID', `options.watch must be a boolean or { debounceMs }, got ${describe(w)}`);
  const flag = (field: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new InprocError('INPUT_INVALID', `options.${field} must be a boolean, got ${describe(value)}`);
    return value;
  };
  const fileOption = (field: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new InprocError('INPUT_INVALID', `options.${field} must be a file name, got ${describe(value)}`);
    try {
      checkRelativeFile(value, field);
    } catch (error) {
      throw new InprocError('INPUT_INVALID', `options.${field}: ${messageOf(error)}`, { cause: error });
    }
    return value;
  };
  const loadOf = (field: string, value: unknown): RepositoryLoadOptions | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null) throw new InprocError('INPUT_INVALID', `options.${field} must be an object, got ${describe(value)}`);
    const allowed = ['backend', 'device', 'backendOptions', 'concurrency', 'maxQueue', 'batching', 'cache', 'isolation', 'workers', 'workerResourceLimits'];
    for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new InprocError('INPUT_INVALID', `options.${field}: unknown option "${key}"; a repository passes ${allowed.join(', ')} to loadModel`);
    return value;
  };
  const warmupOf = (field: string, value: unknown): false | WarmupSpec | undefined => (value === undefined ? undefined : validateWarmup(value, `options.${field}`, 'INPUT_INVALID'));
  const models: Record<string, Settings['models'][string]> = {};
  if (options.models !== undefined) {
    if (typeof options.models !== 'object' || options.models === null) throw new InprocError('INPUT_INVALID', `options.models must be an object by model name, got ${describe(options.models)}`);
    for (const [name, raw] of Object.entries(options.models as Record<string, unknown>)) {
      checkModelName(name);
      if (typeof raw !== 'object' || raw === null) throw new InprocError('INPUT_INVALID', `options.models["${name}"] must be an object, got ${describe(raw)}`);
      const m = raw as RepositoryModelOptions;
      for (const key of Object.keys(m)) if (!['versionPolicy', 'load', 'warmup'].includes(key)) throw new InprocError('INPUT_INVALID', `options.models["${name}"]: unknown option "${key}"`);
      models[name] = {
        policy: m.versionPolicy === undefined ? undefined : checkVersionPolicy(m.versionPolicy, `options.models["${name}"].versionPolicy`),
        load: loadOf(`models["${name}"].load`, m.load),
        warmup: warmupOf(`models["${name}"].warmup`, m.warmup),
      };
    }
  }
  return {
    policy: options.versionPolicy === undefined ? DEFAULT_VERSION_POLICY : checkVersionPolicy(options.versionPolicy, 'options.versionPolicy'),
    models,
    load: loadOf('load', options.load) ?? {},
    warmup: warmupOf('warmup', options.warmup),
    maxBytes,
    maxModels,
    overcommit: flag('overcommit', options.overcommit, true),
    idleTimeoutMs,
    watch,
    readyMarker: fileOption('readyMarker', options.readyMarker),
    strictManifests: flag('strictManifests', options.strictManifests, false),
    manifestBackendOptions: stringList('manifestBackendOptions', options.manifestBackendOptions),
    indexFile: fileOption('indexFile', options.indexFile) ?? 'repository.json',
  };
}

function stringList(name: string, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new InprocError('INPUT_INVALID', `openRepository: options.${name} must be a list of option names, got ${describe(value)}`);
  }
  return [...(value as string[])];
}
