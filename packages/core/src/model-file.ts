/**
 * Which file of a directory is the model: one rule for `loadModel(dir)`, a repository's
 * version directories and the `inproc` command. `model.onnx`, else `model.json` (a
 * TensorFlow.js model), else the directory's one `.onnx` file.
 * @module
 */
import { InprocError } from './errors.js';

/** File names a directory's model may have, in order of preference (after them: a single `*.onnx`). */
export const MODEL_FILE_NAMES: readonly string[] = ['model.onnx', 'model.json'];

/** How {@link findModelFile} looks into a directory. */
export interface DirectoryProbe {
  /** Whether the directory holds this regular file. */
  exists(file: string): Promise<boolean>;
  /** The directory's entries, where it can be listed (not over HTTP): enables the single-`.onnx` rule and lists what was found in errors. */
  list?(): Promise<readonly string[]>;
}

/**
 * The model file of a directory (a name relative to it), or undefined when it has none.
 * An entry that {@link DirectoryProbe.exists} rejects (a sub-directory named `x.onnx`) does not count.
 */
export async function probeModelFile(probe: DirectoryProbe): Promise<string | undefined> {
  for (const file of MODEL_FILE_NAMES) if (await probe.exists(file)) return file;
  if (probe.list === undefined) return undefined;
  const onnx: string[] = [];
  for (const entry of await probe.list()) if (entry.endsWith('.onnx') && (await probe.exists(entry))) onnx.push(entry);
  return onnx.length === 1 ? onnx[0] : undefined;
}

/**
 * The model file of a directory, by the rule above.
 * @param where the directory, for the error
 * @throws InprocError `MODEL_NOT_FOUND` naming the candidates and what the directory holds
 */
export async function findModelFile(probe: DirectoryProbe, where: string): Promise<string> {
  const file = await probeModelFile(probe);
  if (file !== undefined) return file;
  const entries = probe.list === undefined ? undefined : await probe.list();
  const found = entries === undefined ? '' : ` (found: ${entries.slice(0, 10).join(', ') || 'nothing'}${entries.length > 10 ? `, and ${entries.length - 10} more` : ''})`;
  throw new InprocError('MODEL_NOT_FOUND', `${where} is a directory without model.json, model.onnx or a single .onnx file${found}`, { details: { candidates: [...MODEL_FILE_NAMES, '*.onnx'], ...(entries === undefined ? {} : { entries }) } });
}
