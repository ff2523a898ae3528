/**
 * Where a repository's files live: a directory in Node (read with `fs`, watched with
 * `fs.watch`), or a URL base in browsers (read with `fetch`; versions listed by an index
 * file, since HTTP cannot list directories). Every file is located through here, and
 * here the real path (symlinks resolved) is checked to lie inside the real root.
 * Node modules are imported dynamically, as in `platform.ts`, so core stays browser-safe.
 * @module
 * @internal
 */
import { InprocError, messageOf } from '../errors.js';
import { isNode, nodeImport } from '../platform.js';
import { checkModelName, checkRelativeFile, isInside, parseVersionDirectory } from './repository-path.js';
import type { DirectoryProbe } from '../model-file.js';
import { fetchBytes, readRegularFile } from '../source.js';
import { describe } from '../tensor.js';

/** A version directory as found on disk or in the index. */
export interface VersionEntry {
  readonly version: number;
  /** Set when the directory resolves outside the root (a symlink): it is listed, never served. */
  readonly rejected?: InprocError;
}

/** Files of a repository. */
export interface RepositoryStorage {
  /** The root as given (a path or URL), for messages. */
  readonly root: string;
  /** Model names (valid names only; hidden and invalid entries are skipped). */
  listModels(): Promise<string[]>;
  /** Version directories of a model, ascending. Throws `PATH_OUTSIDE_REPOSITORY` when the model directory itself escapes. */
  listVersions(name: string): Promise<VersionEntry[]>;
  /** A file's bytes, or undefined when it does not exist. */
  read(name: string, version: number, file: string, field: string): Promise<Uint8Array | undefined>;
  /** The file names in a version directory; absent for URL storage (HTTP cannot list directories). */
  list?(name: string, version: number): Promise<readonly string[]>;
  /** Whether a file exists (URL storage: assumed, the index vouches for the version). */
  exists(name: string, version: number, file: string, field: string): Promise<boolean>;
  /** What to hand to `loadModel` for a file, and its size when known. Throws `MODEL_NOT_FOUND` when absent. */
  locate(name: string, version: number, file: string, field: string): Promise<{ readonly source: string | URL; readonly size: number | undefined }>;
  /** Changes when a version's files change (mtimes and sizes); constant for URL storage, whose versions are immutable. */
  fingerprint(name: string, version: number, files: readonly string[]): Promise<string>;
  /** Starts watching (Node only). `sync` re-targets the watchers after a scan. */
  watch?(onChange: () => void, onError: (error: InprocError) => void): StorageWatcher;
}

/** A version directory as the model-file rule (`findModelFile`) looks into it. `field` names it in errors (default: the file). */
export function versionDirectory(storage: RepositoryStorage, name: string, version: number, field: string | undefined): DirectoryProbe {
  return {
    exists: (file) => storage.exists(name, version, file, field ?? file),
    ...(storage.list === undefined ? {} : { list: () => storage.list!(name, version) }),
  };
}

/** Watchers of a Node repository. */
export interface StorageWatcher {
  /** Watch these directories (relative to the root) besides the root itself. */
  sync(directories: readonly (readonly string[])[]): void;
  close(): void;
}

interface Stats {
  isDirectory(): boolean;
  isFile(): boolean;
  size: number;
  mtimeMs: number;
}

interface FsPromises {
  readdir(path: string, options: { withFileTypes: true }): Promise<{ name: string; isDirectory(): boolean; isSymbolicLink(): boolean }[]>;
  stat(path: string): Promise<Stats>;
  realpath(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
}

interface FsWatcher {
  close(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

interface Fs {
  watch(path: string, options: { persistent: boolean }, listener: () => void): FsWatcher;
}

interface Path {
  resolve(...parts: string[]): string;
  join(...parts: string[]): string;
  sep: string;
}

interface NodeUrl {
  fileURLToPath(url: URL | string): string;
}


/** Opens the storage for a root: a path or `file:` URL in Node, an `http(s):` URL anywhere. */
export async function openStorage(root: string | URL, options: { readonly indexFile: string }): Promise<RepositoryStorage> {
  if (typeof root !== 'string' && !(root instanceof URL)) throw new InprocError('INPUT_INVALID', `openRepository: root must be a path or URL, got ${describe(root)}`);
  if (typeof root === 'string' && (root === '' || root.includes('\0'))) throw new InprocError('INPUT_INVALID', `openRepository: invalid root ${describe(root)}`);
  const url = root instanceof URL ? root : /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(root) && !/^[a-zA-Z]:[\\/]/.test(root) ? new URL(root) : undefined;
  if (url !== undefined && url.protocol !== 'file:') {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InprocError('INPUT_INVALID', `openRepository: unsupported URL scheme ${url.protocol}`);
    return UrlStorage.open(url, options.indexFile);
  }
  if (!isNode()) throw new InprocError('INPUT_INVALID', `openRepository: "${String(root)}" is a file path, which needs Node; in a browser pass an http(s) URL`);
  const [fsp, fs, path, nodeUrl] = await Promise.all([nodeImport<FsPromises>('fs/promises'), nodeImport<Fs>('fs'), nodeImport<Path>('path'), nodeImport<NodeUrl>('url')]);
  const dir = url === undefined ? path.resolve(root as string) : nodeUrl.fileURLToPath(url);
  let real: string;
  try {
    real = await fsp.realpath(dir);
    if (!(await fsp.stat(real)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new InprocError('MODEL_NOT_FOUND', `repository root ${dir} is not a readable directory: ${messageOf(error)}`, { cause: error });
  }
  return new FsStorage(dir, real, fsp, fs, path);
}

class FsStorage implements RepositoryStorage {
  constructor(
    readonly root: string,
    readonly realRoot: string,
    readonly fsp: FsPromises,
    readonly fs: Fs,
    readonly path: Path,
  ) {}

  /** Resolves symlinks and checks the result stays inside the real root. */
  async #real(target: string, what: string, details: Readonly<Record<string, unknown>>): Promise<string | undefined> {
    let real: string;
    try {
      real = await this.fsp.realpath(target);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new InprocError('MODEL_NOT_FOUND', `cannot resolve ${target}: ${messageOf(error)}`, { cause: error });
    }
    if (!isInside(this.realRoot, real, this.path.sep)) {
      throw new InprocError('PATH_OUTSIDE_REPOSITORY', `${what} resolves to ${real}, outside the repository root ${this.realRoot} (a symbolic link pointing out)`, { details });
    }
    return real;
  }

  async listModels(): Promise<string[]> {
    const entries = await this.fsp.readdir(this.realRoot, { withFileTypes: true }).catch((error: unknown) => {
      throw new InprocError('MODEL_NOT_FOUND', `cannot list repository root ${this.root}: ${messageOf(error)}`, { cause: error });
    });
    const names: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      try {
        checkModelName(entry.name);
      } catch {
        continue; // hidden (staging) or unusable names are not models
      }
      if (entry.isSymbolicLink()) {
        // Listed even when it points out, so that get() can say why it is refused.
        const stat = await this.fsp.stat(this.path.join(this.realRoot, entry.name)).catch(() => undefined);
        if (stat?.isDirectory() !== true) continue;
      }
      names.push(entry.name);
    }
    return names.sort();
  }

  async listVersions(name: string): Promise<VersionEntry[]> {
    const dir = await this.#real(this.path.join(this.realRoot, name), `model directory "${name}"`, { name });
    if (dir === undefined) return [];
    const entries = await this.fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    const versions: VersionEntry[] = [];
    for (const entry of entries) {
      const version = parseVersionDirectory(entry.name);
      if (version === undefined || (!entry.isDirectory() && !entry.isSymbolicLink())) continue;
      try {
        const real = await this.#real(this.path.join(dir, entry.name), `version directory "${name}/${entry.name}"`, { name, version });
        if (real === undefined || !(await this.fsp.stat(real)).isDirectory()) continue;
        versions.push({ version });
      } catch (error) {
        if (!InprocError.is(error, 'PATH_OUTSIDE_REPOSITORY')) throw error;
        versions.push({ version, rejected: error });
      }
    }
    return versions.sort((a, b) => a.version - b.version);
  }

  async #file(name: string, version: number, file: string, field: string): Promise<string | undefined> {
    const segments = checkRelativeFile(file, field);
    const target = this.path.join(this.realRoot, name, String(version), ...segments);
    return this.#real(target, `manifest field "${field}" (${name}/${version}/${file})`, { name, version, field });
  }

  async read(name: string, version: number, file: string, field: string): Promise<Uint8Array | undefined> {
    const real = await this.#file(name, version, file, field);
    if (real === undefined) return undefined;
    try {
      // Only regular files, of a size fit for what they are: a FIFO named inproc.json must not hang a load.
      return await readRegularFile(real, { what: field === file ? file : `${file} (manifest field "${field}")`, maxBytes: readLimit(field) });
    } catch (error) {
      if (InprocError.is(error, 'MODEL_NOT_FOUND') && (error.cause as { code?: string } | undefined)?.code === 'ENOENT') return undefined;
      if (InprocError.is(error, 'MODEL_INVALID')) throw new InprocError('MODEL_INVALID', error.message, { cause: error, details: { field } });
      throw error;
    }
  }

  async list(name: string, version: number): Promise<readonly string[]> {
    const dir = await this.#real(this.path.join(this.realRoot, name, String(version)), `version directory "${name}/${version}"`, { name, version });
    if (dir === undefined) return [];
    return (await this.fsp.readdir(dir, { withFileTypes: true }).catch(() => [])).map((entry) => entry.name).sort();
  }

  async exists(name: string, version: number, file: string, field: string): Promise<boolean> {
    const real = await this.#file(name, version, file, field);
    if (real === undefined) return false;
    return (await this.fsp.stat(real).catch(() => undefined))?.isFile() === true;
  }

  async locate(name: string, version: number, file: string, field: string): Promise<{ source: string; size: number | undefined }> {
    const real = await this.#file(name, version, file, field);
    const stat = real === undefined ? undefined : await this.fsp.stat(real).catch(() => undefined);
    if (real === undefined || stat?.isFile() !== true) throw new InprocError('MODEL_NOT_FOUND', `model file ${this.path.join(this.root, name, String(version), file)} not found`, { details: { name, version } });
    // The resolved path, so that a symlink swapped after the check cannot redirect the load.
    return { source: real, size: stat.size };
  }

  async fingerprint(name: string, version: number, files: readonly string[]): Promise<string> {
    const parts: string[] = [];
    for (const file of files) {
      const stat = await this.fsp.stat(this.path.join(this.realRoot, name, String(version), file)).catch(() => undefined);
      parts.push(stat === undefined ? `${file}:-` : `${file}:${stat.size}:${stat.mtimeMs}`);
    }
    return parts.join('|');
  }

  watch(onChange: () => void, onError: (error: InprocError) => void): StorageWatcher {
    const watchers = new Map<string, FsWatcher>();
    let closed = false;
    const add = (dir: string): void => {
      if (closed || watchers.has(dir)) return;
      try {
        const watcher = this.fs.watch(dir, { persistent: false }, onChange);
        watcher.on('error', () => {
          // The directory went away (a version removed): drop the watcher; the next scan re-targets.
          watcher.close();
          watchers.delete(dir);
          onChange();
        });
        watchers.set(dir, watcher);
      } catch (error) {
        if (dir === this.realRoot) onError(new InprocError('MODEL_NOT_FOUND', `cannot watch ${this.root}: ${messageOf(error)}`, { cause: error }));
      }
    };
    add(this.realRoot);
    return {
      sync: (directories) => {
        const wanted = new Set([this.realRoot, ...directories.map((parts) => this.path.join(this.realRoot, ...parts))]);
        for (const [dir, watcher] of watchers) {
          if (!wanted.has(dir)) {
            watcher.close();
            watchers.delete(dir);
          }
        }
        for (const dir of wanted) add(dir);
      },
      close: () => {
        closed = true;
        for (const watcher of watchers.values()) watcher.close();
        watchers.clear();
      },
    };
  }
}

/**
 * A repository over HTTP(S). HTTP cannot list directories, so the root holds an index
 * file (default `repository.json`): `{ "models": { "<name>": { "versions": [1, 2] } } }`.
 * Publish a version's files first and the index last: the index is the completeness rule.
 */
class UrlStorage implements RepositoryStorage {
  #index: Map<string, number[]> = new Map();

  private constructor(
    readonly base: URL,
    readonly indexFile: string,
  ) {}

  get root(): string {
    return this.base.href;
  }

  static async open(url: URL, indexFile: string): Promise<UrlStorage> {
    const base = new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
    base.search = '';
    base.hash = '';
    checkRelativeFile(indexFile, 'indexFile');
    const storage = new UrlStorage(base, indexFile);
    await storage.listModels(); // fail at open when the index is missing or bad
    return storage;
  }

  async listModels(): Promise<string[]> {
    const where = new URL(this.indexFile, this.base);
    const bytes = await fetchBytes(where, {});
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new InprocError('MODEL_INVALID', `${where.href}: the repository index is not JSON`, { cause: error });
    }
    const models = (value as { models?: unknown } | null)?.models;
    if (typeof models !== 'object' || models === null || Array.isArray(models)) {
      throw new InprocError('MODEL_INVALID', `${where.href}: expected { "models": { "<name>": { "versions": [numbers] } } }, got ${describe(value)}`, { details: { field: 'models' } });
    }
    const index = new Map<string, number[]>();
    for (const [name, entry] of Object.entries(models as Record<string, unknown>)) {
      checkModelName(name);
      const versions = (entry as { versions?: unknown } | null)?.versions;
      if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
        throw new InprocError('MODEL_INVALID', `${where.href}: field "models.${name}.versions" must be an array of non-negative integers, got ${describe(versions)}`, { details: { field: `models.${name}.versions` } });
      }
      index.set(name, [...new Set(versions as number[])].sort((a, b) => a - b));
    }
    this.#index = index;
    return [...index.keys()].sort();
  }

  listVersions(name: string): Promise<VersionEntry[]> {
    return Promise.resolve((this.#index.get(name) ?? []).map((version) => ({ version })));
  }

  #url(name: string, version: number, file: string, field: string): URL {
    const segments = checkRelativeFile(file, field);
    const url = new URL(`${encodeURIComponent(name)}/${version}/${segments.map(encodeURIComponent).join('/')}`, this.base);
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname)) {
      throw new InprocError('PATH_OUTSIDE_REPOSITORY', `manifest field "${field}": ${url.href} is outside the repository ${this.base.href}`, { details: { name, version, field } });
    }
    return url;
  }

  async read(name: string, version: number, file: string, field: string): Promise<Uint8Array | undefined> {
    try {
      return await fetchBytes(this.#url(name, version, file, field), {});
    } catch (error) {
      if (InprocError.is(error, 'MODEL_NOT_FOUND') && error.details?.['status'] === 404) return undefined;
      throw error;
    }
  }

  exists(name: string, version: number, file: string, field: string): Promise<boolean> {
    this.#url(name, version, file, field);
    return Promise.resolve(true);
  }

  locate(name: string, version: number, file: string, field: string): Promise<{ source: URL; size: undefined }> {
    return Promise.resolve({ source: this.#url(name, version, file, field), size: undefined });
  }

  fingerprint(): Promise<string> {
    return Promise.resolve('');
  }
}

/** The most bytes read for a file of a version, by what it is: a manifest or labels file is small; warm-up samples are inputs. */
function readLimit(field: string): number {
  if (field === 'inproc.json') return 1 << 20;
  if (field === 'labels') return 16 << 20;
  return 1 << 30;
}
