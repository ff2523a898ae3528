/**
 * Process-wide singletons on `globalThis`, keyed by `Symbol.for(key)`: the backend and
 * processor registries, the resource ledger, the metrics registry, the isolation
 * settings and the TF.js engine lease live there, so that two copies of a package in
 * one process (a bundler duplicating it, an app and a plugin resolving different
 * versions) share them instead of splitting the state (after TF.js's `getGlobal`).
 * @module
 */

/**
 * The process-wide value under `Symbol.for(key)`, created by `create` the first time.
 * Keys are namespaced by package (`inproc.backends`, `inproc.tfjs.engine`); the value's
 * shape must stay compatible across versions that may share it.
 */
export function globalSingleton<T>(key: string, create: () => T): T {
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  const symbol = Symbol.for(key);
  return (holder[symbol] ??= create());
}
