/**
 * What core needs from its host. Core imports no Node module in browsers, so that it bundles
 * for them: Node's file system is taken through `nodeModule` (`process.getBuiltinModule`,
 * which bundlers do not follow), and only when a path is given in Node.
 * @module
 * @internal
 */
import { nodeModule } from './node-builtin.js';

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

/**
 * A Node module by its name without `node:` (`'fs/promises'`), as a promise: `nodeModule`
 * (`node-builtin.ts`), the one way Inproc takes Node's modules, for callers that are async.
 */
export const nodeImport = <T>(name: string): Promise<T> => Promise.resolve().then(() => nodeModule<T>(`node:${name}`));

let nodeModules: Promise<{ fs: NodeFs; path: NodePath; url: NodeUrl }> | undefined;

/** Node's fs, path and url modules, imported once. */
export function node(): Promise<{ fs: NodeFs; path: NodePath; url: NodeUrl }> {
  nodeModules ??= Promise.all([nodeImport<NodeFs>('fs/promises'), nodeImport<NodePath>('path'), nodeImport<NodeUrl>('url')]).then(([fs, path, url]) => ({ fs, path, url }));
  return nodeModules;
}
