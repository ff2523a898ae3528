/**
 * The model a command names: a file or a directory holding one (`model.onnx`, `model.json` or one `.onnx`),
 * read once to sniff its format and size (TF.js weight shards included), and loaded with
 * the backends registered (`inproc` registers the ONNX backends; the TF.js backend is
 * registered here, since the CLI serves both formats).
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InprocError, hasBackend, loadModel, registerBackend, sniffFormat, type LoadOptions, type Model, type ModelFormat } from 'inproc';
import { findModelFile } from 'inproc/backend';
import { tfjsBackend } from '@inproc/tfjs';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

export interface ModelFile {
  /** Absolute path of the model file itself (for a directory: the file `findModelFile` chose). */
  readonly path: string;
  /** As the user wrote it. */
  readonly given: string;
  readonly format: ModelFormat;
  readonly bytes: Uint8Array;
  /** Bytes on disk: the file plus TF.js weight shards. */
  readonly totalBytes: number;
  /** TF.js weight shard files (relative paths), when any. */
  readonly shards: readonly string[];
}

/** The model file of a directory, by the rule `loadModel` and repositories follow (`findModelFile`). */
async function pickInDirectory(dir: string): Promise<string> {
  const isFile = async (name: string): Promise<boolean> => (await stat(join(dir, name)).catch(() => undefined))?.isFile() === true;
  return join(dir, await findModelFile({ exists: isFile, list: () => readdir(dir) }, dir));
}

/**
 * Reads the model file.
 * @throws InprocError `MODEL_NOT_FOUND` (no such file), `FORMAT_UNKNOWN` (neither ONNX nor TF.js)
 */
export async function readModelFile(given: string, cwd: string): Promise<ModelFile> {
  let path = resolve(cwd, given);
  const info = await stat(path).catch((error: unknown) => {
    throw new InprocError('MODEL_NOT_FOUND', `no such file: ${given}`, { cause: error });
  });
  if (info.isDirectory()) path = await pickInDirectory(path);
  const bytes = new Uint8Array(await readFile(path));
  const format = sniffFormat(bytes, basename(path));
  if (format === undefined) throw new InprocError('FORMAT_UNKNOWN', `${given} is neither an ONNX model nor a TensorFlow.js model.json (${bytes.byteLength} bytes; first bytes ${Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  let totalBytes = bytes.byteLength;
  const shards: string[] = [];
  if (format !== 'onnx') {
    try {
      const manifest = (JSON.parse(new TextDecoder().decode(bytes)) as { weightsManifest?: { paths?: unknown }[] }).weightsManifest ?? [];
      for (const group of manifest) for (const p of Array.isArray(group.paths) ? group.paths : []) if (typeof p === 'string') shards.push(p);
    } catch {
      // The backend reports a malformed manifest with the field at fault.
    }
    for (const shard of shards) totalBytes += (await stat(join(dirname(path), shard)).catch(() => undefined))?.size ?? 0;
  }
  return { path, given, format, bytes, totalBytes, shards };
}

/** What commands pass to `loadModel`. */
export interface LoadChoice {
  readonly backend?: string | undefined;
  readonly device?: string | undefined;
  /** `dims` and `warmup` from the command's inputs (`commandFeeds`). */
  readonly inputs?: Pick<LoadOptions, 'dims' | 'warmup'> | undefined;
}

/** Loads the model from its path (so TF.js shards are read beside it), timing the load. */
export async function loadModelFile(file: ModelFile, choice: LoadChoice): Promise<{ model: Model; loadMs: number }> {
  const options: LoadOptions = { ...(choice.backend === undefined ? {} : { backend: choice.backend }), ...(choice.device === undefined ? {} : { device: choice.device }), ...choice.inputs };
  const start = performance.now();
  const model = await loadModel(file.path, options);
  return { model, loadMs: performance.now() - start };
}
