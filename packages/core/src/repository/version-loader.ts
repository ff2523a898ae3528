/**
 * Loading one repository version: its manifest, its model file, labels and warm-up
 * samples read from storage, the manifest's processors created from the registry,
 * `loadModel` with the manifest's preferences under the repository's options, then the
 * warm-up (the one warm-up loop of `warmup.ts`), measured for the `load` event.
 * @module
 * @internal
 */
import { InprocError, asInprocError, messageOf } from '../errors.js';
import { loadModel } from '../load-model.js';
import { findModelFile } from '../model-file.js';
import type { LoadOptions, Model } from '../model.js';
import type { ModelImpl } from '../model-impl.js';
import type { Processor } from '../processing/processor.js';
import { disposeAll } from '../processing/chain.js';
import { createProcessor } from '../processing/processor-registry.js';
import { isNpy, parseJsonSample, parseNpy } from '../sample-file.js';
import type { Tensor } from '../tensor.js';
import { warmUp } from '../warmup.js';
import { MANIFEST_FILE, checkManifestBackendOptions, parseLabels, parseManifest } from './manifest.js';
import type { Settings } from './repository-options.js';
import { checkRelativeFile } from './repository-path.js';
import { type RepositoryStorage, versionDirectory } from './repository-storage.js';
import type { Manifest, RepositoryEvent, WarmupSpec } from './repository-types.js';
import type { Reserve } from './version-cache.js';
import type { LoadedVersion } from './version-lease.js';

export class VersionLoader {
  readonly #storage: RepositoryStorage;
  readonly #settings: Settings;
  readonly #emit: (event: RepositoryEvent) => void;

  constructor(storage: RepositoryStorage, settings: Settings, emit: (event: RepositoryEvent) => void) {
    this.#storage = storage;
    this.#settings = settings;
    this.#emit = emit;
  }


  async #manifest(name: string, version: number): Promise<Manifest> {
    const bytes = await this.#storage.read(name, version, MANIFEST_FILE, MANIFEST_FILE);
    if (bytes === undefined) return {};
    const { manifest, warnings } = parseManifest(bytes, `${name}/${version}/${MANIFEST_FILE}`, this.#settings.strictManifests);
    checkManifestBackendOptions(manifest, `${name}/${version}/${MANIFEST_FILE}`, this.#settings.manifestBackendOptions);
    for (const message of warnings) this.#emit({ type: 'warning', name, version, message });
    return manifest;
  }

  async #modelFile(name: string, version: number, manifest: Manifest): Promise<string> {
    if (manifest.model !== undefined) return manifest.model;
    return findModelFile(versionDirectory(this.#storage, name, version, 'model'), `${name}/${version}`).catch((error: unknown) => {
      throw InprocError.is(error, 'MODEL_NOT_FOUND') ? new InprocError('MODEL_NOT_FOUND', `${error.message}, and has no manifest naming its model file`, { details: { name, version, ...error.details } }) : error;
    });
  }

  /** Loads, warms up and measures one version. Runs inside the cache's single shared load. */
  async load(name: string, version: number, reserve: Reserve): Promise<LoadedVersion> {
    const where = `${name}/${version}`;
    try {
      const manifest = await this.#manifest(name, version);
      const file = await this.#modelFile(name, version, manifest);
      const located = await this.#storage.locate(name, version, file, 'model');
      if (located.size !== undefined) reserve(located.size);
      const labels = manifest.labels === undefined ? undefined : await this.#labels(name, version, manifest.labels);
      const warmup = this.#settings.models[name]?.warmup ?? manifest.warmup ?? this.#settings.warmup ?? false;
      const samples = warmup !== false && warmup.samples !== undefined ? await this.#samples(name, version, warmup.samples) : undefined;
      const preprocess = this.#processors(where, 'preprocess', manifest.preprocess);
      const postprocess = this.#processors(where, 'postprocess', manifest.postprocess);
      const perModel = this.#settings.models[name]?.load ?? {};
      let fileBytes = located.size ?? 0;
      const loadOptions: LoadOptions<unknown, unknown> = {
        ...pick(manifest),
        name: `${name}@${version}`,
        // device 'fastest' times devices on the manifest's warm-up samples (the first set), not on synthesized inputs.
        ...(samples === undefined ? {} : { warmup: { runs: 0, feeds: samples } }),
        ...this.#settings.load,
        ...perModel,
        ...(preprocess.length > 0 ? { preprocess } : {}),
        ...(postprocess.length > 0 ? { postprocess } : {}),
        onProgress: ({ loaded }) => {
          fileBytes = Math.max(fileBytes, loaded);
        },
      };
      const started = performance.now();
      let model: Model<unknown, unknown>;
      try {
        model = await loadModel<unknown, unknown>(located.source, loadOptions);
      } catch (error) {
        await disposeAll([...preprocess, ...postprocess]);
        throw error;
      }
      const loadMs = performance.now() - started;
      const warmed = performance.now();
      let runs = 0;
      try {
        if (warmup !== false) runs = await this.#warmUp(where, model, warmup, samples);
      } catch (error) {
        await model.dispose();
        throw error;
      }
      const warmupMs = performance.now() - warmed;
      const bytes = fileBytes + sessionBytes(model);
            return { name, version, model, manifest, labels, bytes, loadMs, warmupMs, warmupRuns: runs, dispose: () => model.dispose() };
    } catch (error) {
      const failure = asInprocError(error, `loading ${where} failed`);
      this.#emit({ type: 'error', name, version, phase: 'load', error: failure });
      throw failure;
    }
  }

  async #labels(name: string, version: number, file: string): Promise<readonly string[]> {
    const bytes = await this.#storage.read(name, version, file, 'labels');
    if (bytes === undefined) throw new InprocError('MODEL_NOT_FOUND', `${name}/${version}: labels file "${file}" (manifest field "labels") not found`, { details: { name, version, field: 'labels' } });
    return parseLabels(bytes, `${name}/${version}/${file}`);
  }

  #processors(where: string, field: 'preprocess' | 'postprocess', specs: Manifest['preprocess']): Processor[] {
    return (specs ?? []).map((spec, i) => {
      try {
        return createProcessor(spec);
      } catch (error) {
        throw new InprocError('MODEL_INVALID', `${where}/${MANIFEST_FILE}: manifest field "${field}[${i}]": ${messageOf(error)}`, { cause: error, details: { field: `${field}[${i}]` } });
      }
    });
  }

  async #samples(name: string, version: number, samples: NonNullable<WarmupSpec['samples']>): Promise<Record<string, Tensor>[]> {
    const sets = Array.isArray(samples) ? (samples as readonly Readonly<Record<string, string>>[]) : [samples as Readonly<Record<string, string>>];
    const out: Record<string, Tensor>[] = [];
    for (const [i, set] of sets.entries()) {
      const feeds: Record<string, Tensor> = {};
      for (const [input, file] of Object.entries(set)) {
        const field = Array.isArray(samples) ? `warmup.samples[${i}].${input}` : `warmup.samples.${input}`;
        const where = `${name}/${version}/${file} (manifest field "${field}")`;
        const bytes = await this.#storage.read(name, version, file, field);
        if (bytes === undefined) throw new InprocError('MODEL_NOT_FOUND', `warm-up sample ${where} not found`, { details: { name, version, field } });
        feeds[input] = isNpy(bytes)
          ? parseNpy(bytes, where)
          : await parseJsonSample(bytes, where, async (raw) => {
              // A raw file named by a JSON sample sits beside it.
              const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
              checkRelativeFile(raw, `${field}.file`);
              const data = await this.#storage.read(name, version, dir + raw, `${field}.file`);
              if (data === undefined) throw new InprocError('MODEL_NOT_FOUND', `raw sample file ${name}/${version}/${dir + raw} not found`, { details: { field: `${field}.file` } });
              return data;
            });
      }
      out.push(feeds);
    }
    return out;
  }

  /** The version's warm-up, by the one warm-up loop; a sample set that does not fit makes the version invalid. */
  async #warmUp(where: string, model: Model<unknown, unknown>, spec: WarmupSpec, samples: Record<string, Tensor>[] | undefined): Promise<number> {
    const { samples: _files, ...options } = spec;
    try {
      return await warmUp(model as ModelImpl<unknown, unknown>, samples === undefined ? options : { ...options, feeds: samples }, where);
    } catch (error) {
      const set: unknown = InprocError.is(error) ? error.details?.['feedSet'] : undefined;
      if (!InprocError.is(error) || typeof set !== 'number') throw error;
      throw new InprocError('MODEL_INVALID', `${where}: warm-up sample set ${set} does not fit the model: ${messageOf(error.cause)}`, { cause: error, details: { field: 'warmup.samples' } });
    }
  }
}

/** The manifest's load preferences as `loadModel` options. */
function pick(manifest: Manifest): LoadOptions<unknown, unknown> {
  return {
    ...(manifest.format === undefined ? {} : { format: manifest.format }),
    ...(manifest.backend === undefined ? {} : { backend: manifest.backend }),
    ...(manifest.device === undefined ? {} : { device: manifest.device }),
    ...(manifest.backendOptions === undefined ? {} : { backendOptions: manifest.backendOptions }),
    ...(manifest.concurrency === undefined ? {} : { concurrency: manifest.concurrency }),
    ...(manifest.maxQueue === undefined ? {} : { maxQueue: manifest.maxQueue }),
    ...(manifest.batching === undefined ? {} : { batching: manifest.batching }),
  };
}

/** Bytes the backend reports for a model's session(s). */
function sessionBytes(model: Model<unknown, unknown>): number {
  return model.bytes;
}
