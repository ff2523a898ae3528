/**
 * Scanning a repository model: its version directories, which of them are complete (the
 * completeness rule) and a fingerprint of each complete one's files, so that a version
 * that failed to load is retried only once its files change.
 * @module
 * @internal
 */
import { InprocError } from '../errors.js';
import { probeModelFile } from '../model-file.js';
import { MANIFEST_FILE, parseManifest } from './manifest.js';
import type { Settings } from './repository-options.js';
import { type RepositoryStorage, versionDirectory } from './repository-storage.js';
import type { VersionPolicy } from './repository-types.js';
import { servedVersions } from './version-policy.js';

/** A complete version directory, as last scanned. */
export interface VersionState {
  readonly version: number;
  /** Escapes the root (symlink): listed in errors, never served. */
  readonly rejected?: InprocError;
  /** Changes when the version's files change; a failed version is retried only then. */
  readonly fingerprint: string;
}

export interface ModelState {
  readonly name: string;
  /** The model directory escapes the root. */
  readonly rejected?: InprocError;
  readonly versions: ReadonlyMap<number, VersionState>;
  /** Complete, not rejected, ascending. */
  readonly available: readonly number[];
  /** Version directories that are not complete yet (watched for their marker or model file). */
  readonly incomplete: readonly number[];
  served: readonly number[];
  current: number | undefined;
  pinned: number | undefined;
}

export async function scanModel(storage: RepositoryStorage, settings: Settings, policy: VersionPolicy, name: string): Promise<ModelState> {
  let entries;
  try {
    entries = await storage.listVersions(name);
  } catch (error) {
    if (!InprocError.is(error, 'PATH_OUTSIDE_REPOSITORY')) throw error;
    return { name, rejected: error, versions: new Map(), available: [], incomplete: [], served: [], current: undefined, pinned: undefined };
  }
  const versions = new Map<number, VersionState>();
  const available: number[] = [];
  const incomplete: number[] = [];
  for (const entry of entries) {
    if (entry.rejected !== undefined) {
      versions.set(entry.version, { version: entry.version, rejected: entry.rejected, fingerprint: '' });
      continue;
    }
    const files = await completeFiles(storage, settings, name, entry.version);
    if (files === undefined) {
      incomplete.push(entry.version);
      continue;
    }
    versions.set(entry.version, { version: entry.version, fingerprint: await storage.fingerprint(name, entry.version, files) });
    available.push(entry.version);
  }
  const served = servedVersions(policy, available);
  return { name, versions, available, incomplete, served, current: undefined, pinned: undefined };
}

/**
 * The completeness rule. With `readyMarker`, the marker file must exist. Without, the
 * model file must (the manifest's `model`, else as `model-file.ts` finds it): that
 * holds at once for a directory published by atomic rename. Returns the files whose
 * sizes and mtimes make the version's fingerprint, or undefined when incomplete.
 */
async function completeFiles(storage: RepositoryStorage, settings: Settings, name: string, version: number): Promise<string[] | undefined> {
  // A file that escapes the root counts as present: the version is then listed, and loading it says why it is refused.
  const exists = (file: string): Promise<boolean> => storage.exists(name, version, file, file).catch((error: unknown) => InprocError.is(error, 'PATH_OUTSIDE_REPOSITORY'));
  const marker = settings.readyMarker;
  if (marker !== undefined && !(await exists(marker))) return undefined;
  let named: string | undefined;
  try {
    const bytes = await storage.read(name, version, MANIFEST_FILE, MANIFEST_FILE);
    if (bytes !== undefined) named = parseManifest(bytes, MANIFEST_FILE).manifest.model;
  } catch {
    // A broken manifest makes a complete but broken version: its load reports why.
    return [MANIFEST_FILE];
  }
  const file = named === undefined ? await probeModelFile({ ...versionDirectory(storage, name, version, undefined), exists }) : (await exists(named)) ? named : undefined;
  if (file !== undefined) return [MANIFEST_FILE, file, ...(marker === undefined ? [] : [marker])];
  return marker === undefined ? undefined : [MANIFEST_FILE, marker];
}
