/**
 * Node's built-in modules as their CommonJS objects: `process.getBuiltinModule` (Node 20.16+),
 * else `require` (runtimes without it: Electron before 32). Not ESM imports: an ESM import
 * of `node:fs` builds a namespace of its ~100 exports, ~4 ms of `import 'inproc'` on a slow
 * machine (benchmarks/cold-start), which nothing else in a process that runs onnxruntime needs.
 * @module
 * @internal
 */
import { createRequire } from 'node:module';

/** A Node module by its `node:` name. */
export const nodeModule: typeof process.getBuiltinModule =
  typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule.bind(process) : createRequire(import.meta.url);
