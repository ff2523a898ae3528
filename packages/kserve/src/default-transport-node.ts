/**
 * The default transport in Node: a keep-alive pool on `node:http` (package.json's
 * `imports` maps `#default-transport` here under the `node` condition).
 * @module
 */
import { nodeTransport } from './transport-node.js';
import type { Transport } from './transport.js';

export function defaultTransport(options: { readonly maxSockets: number }): Transport {
  return nodeTransport(options);
}
