/**
 * The package's `#node-require` import outside Node: no `require`. In Node,
 * `node-require-node.ts`. Used by `nodeModule` (`node-builtin.ts`) only where the runtime
 * lacks `process.getBuiltinModule`.
 * @module
 * @internal
 */
export const nodeRequire: ((id: string) => unknown) | undefined = undefined;
