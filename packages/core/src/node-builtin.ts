/**
 * Node's built-in modules, synchronously, as their CommonJS objects: the one way Inproc's
 * packages take them (core's `nodeImport`, onnx-node, the server). `process.getBuiltinModule`
 * (Node 20.16+) costs nothing beyond the module itself; where a runtime lacks it (Electron
 * before 32), `require` made by `createRequire` (the package's `#node-require` import under
 * the `node` condition). Not ESM imports: an ESM import of `node:fs` builds a namespace of
 * its ~100 exports, ~4 ms of `import 'inproc'` on a slow machine (benchmarks/cold-start).
 * Importing this module imports no Node module in browsers (there `#node-require` is a stub),
 * so core still bundles for them.
 * @module
 */
import { nodeRequire } from '#node-require';
import { InprocError } from './errors.js';

const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;

/**
 * The Node module `name` (`'node:fs'`, ...) as `require` returns it. Typed by the caller:
 * `nodeModule<typeof import('node:fs')>('node:fs')`. Throws `BACKEND_UNAVAILABLE` outside Node.
 */
export function nodeModule<T>(name: `node:${string}`): T {
  if (typeof host?.getBuiltinModule === 'function') return host.getBuiltinModule(name) as T;
  if (nodeRequire === undefined) throw new InprocError('BACKEND_UNAVAILABLE', `${name} was asked for, but this runtime is not Node`);
  return nodeRequire(name) as T;
}
