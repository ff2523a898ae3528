/**
 * The entry point of repositories, light to import: the repository's code (scans,
 * leases, the cache, watching, manifests) is imported on the first call, so a process
 * that loads models directly never loads it.
 * @module
 */
import type { Repository, RepositoryOptions } from './repository-types.js';

/**
 * Opens a model repository: a directory (path or `file:` URL, Node) or an `http(s):`
 * URL with an index file (browsers, or Node). Scans it once; models load on first `get`.
 *
 * ```ts
 * await using repo = await openRepository('models', { maxBytes: 512 << 20, watch: true });
 * const y = await repo.run('tenant-a', { x });          // current version, leased per call
 * await using model = await repo.get('tenant-b', { version: 3 });
 * ```
 * @throws InprocError `MODEL_NOT_FOUND` (no such root or index), `INPUT_INVALID` (bad options), `MODEL_INVALID` (bad index)
 */
export async function openRepository(root: string | URL, options: RepositoryOptions = {}): Promise<Repository> {
  const { openRepositoryNow } = await import('./repository.js');
  return openRepositoryNow(root, options);
}
