/**
 * The package's `#node-require` import under the `node` condition: a `require` for
 * `nodeModule` (`node-builtin.ts`) where the runtime lacks `process.getBuiltinModule`
 * (Electron before 32). Never reached by browser bundles (they take `node-require.ts`).
 * Made only where it is used: `createRequire` costs ~1 ms of `import 'inproc'`, and
 * `nodeModule` never calls it where `process.getBuiltinModule` exists.
 * @module
 * @internal
 */
import { createRequire } from 'node:module';

export const nodeRequire: ((id: string) => unknown) | undefined = typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule === 'function' ? undefined : createRequire(import.meta.url);
