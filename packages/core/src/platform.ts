/**
 * What core needs from its host. Core stays free of Node imports so that it bundles
 * for browsers: Node's file system is reached through a dynamic import whose specifier
 * bundlers do not follow, and only when a path is given in Node.
 * @module
 * @internal
 */

/** True in Node (and Deno/Bun's Node mode); false in browsers, workers and Electron renderers with a window. */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** The parts of `node:fs/promises` core uses. */
export interface NodeFs {
  stat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }>;
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  open(path: string, flags: number): Promise<{
    stat(): Promise<{ isFile(): boolean; isFIFO(): boolean; size: number }>;
    read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
    close(): Promise<void>;
  }>;
  readonly constants: { readonly O_RDONLY: number; readonly O_NONBLOCK?: number };
}

/** The parts of `node:path` core uses. */
export interface NodePath {
  resolve(...parts: string[]): string;
  dirname(path: string): string;
  relative(from: string, to: string): string;
  isAbsolute(path: string): boolean;
  join(...parts: string[]): string;
  sep: string;
}

/** The parts of `node:url` core uses. */
export interface NodeUrl {
  fileURLToPath(url: URL | string): string;
}

const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;

/**
 * A Node module: its CommonJS object where the runtime has `process.getBuiltinModule` (Node
 * 20.16+), which costs nothing more than the module; else an `import()` (an ESM namespace is
 * built of every export: node:fs ~4 ms on a slow machine, benchmarks/cold-start). A computed
 * specifier keeps bundlers from pulling Node modules into browser builds.
 */
export const nodeImport = <T>(name: string): Promise<T> =>
  typeof nodeProcess?.getBuiltinModule === 'function' ? Promise.resolve(nodeProcess.getBuiltinModule(`node:${name}`) as T) : (import(/* @vite-ignore */ /* webpackIgnore: true */ `node:${name}`) as Promise<T>);

let nodeModules: Promise<{ fs: NodeFs; path: NodePath; url: NodeUrl }> | undefined;

/** Node's fs, path and url modules, imported once. */
export function node(): Promise<{ fs: NodeFs; path: NodePath; url: NodeUrl }> {
  nodeModules ??= Promise.all([nodeImport<NodeFs>('fs/promises'), nodeImport<NodePath>('path'), nodeImport<NodeUrl>('url')]).then(([fs, path, url]) => ({ fs, path, url }));
  return nodeModules;
}
