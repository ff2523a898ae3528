/**
 * @inproc/cli as a library: the command line as a function (for embedding and tests)
 * and the TypeScript declaration generator behind `inproc types`.
 * @module
 */
export { main } from './cli.js';
export { declarationFor, typeNameFor } from './commands/types.js';
export { type Io, type OutStream } from './io.js';
