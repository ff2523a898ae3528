/**
 * The package's `#node-require` import under the `node` condition: a `require` for
 * `nodeModule` (`node-builtin.ts`) where the runtime lacks `process.getBuiltinModule`
 * (Electron before 32). Never reached by browser bundles (they take `node-require.ts`).
 * @module
 * @internal
 */
import { createRequire } from 'node:module';

export const nodeRequire: ((id: string) => unknown) | undefined = createRequire(import.meta.url);
