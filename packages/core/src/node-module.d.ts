// The one thing core's Node-only `node-require-node.ts` takes from node:module, declared here
// because core compiles without Node's types (it must stay browser-safe).
declare module 'node:module' {
  export function createRequire(path: string | URL): (id: string) => unknown;
}
