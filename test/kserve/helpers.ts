/**
 * Helpers of the kserve and server tests: model repositories in temporary folders, and
 * `inproc serve` run either in this process (`serve()`) or as a subprocess of the built
 * CLI (so that `resources()` here counts only the client's side). All on loopback, port 0.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One version of a model: its ONNX bytes, or bytes plus a manifest and other files. */
export type VersionSpec = Uint8Array | { readonly bytes: Uint8Array; readonly file?: string; readonly manifest?: object; readonly files?: Readonly<Record<string, string | Uint8Array>> };

/** Writes `<root>/<name>/<version>/...` for each entry (`'mlp'` is version 1, `'mlp/2'` version 2). */
export async function writeRepository(root: string, models: Readonly<Record<string, VersionSpec>>): Promise<string> {
  for (const [key, spec] of Object.entries(models)) {
    const [name, version = '1'] = key.split('/');
    const dir = join(root, name!, version);
    await mkdir(dir, { recursive: true });
    const s = spec instanceof Uint8Array ? { bytes: spec } : spec;
    await writeFile(join(dir, s.file ?? 'model.onnx'), s.bytes);
    if (s.manifest !== undefined) await writeFile(join(dir, 'inproc.json'), JSON.stringify(s.manifest));
    for (const [file, content] of Object.entries(s.files ?? {})) await writeFile(join(dir, file), content);
  }
  return root;
}

/** A fresh temporary repository holding `models`. */
export async function tempRepository(models: Readonly<Record<string, VersionSpec>> = {}): Promise<string> {
  return writeRepository(await mkdtemp(join(tmpdir(), 'inproc-kserve-')), models);
}

/** `inproc serve` as a subprocess (testkit's, shared with the benchmarks). */
export { type ServeProcess, serveProcess } from '@inproc/testkit/serve-process';

/** Raw HTTP with fetch: status, headers, body bytes and (when JSON) the parsed body. */
export async function http(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: unknown }> {
  const response = await fetch(url, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, bytes, json };
}
