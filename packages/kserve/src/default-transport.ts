/**
 * The default transport outside Node (browsers, workers, other runtimes): `fetch`.
 * package.json's `imports` maps `#default-transport` here unless the `node` condition holds.
 * @module
 */
import { fetchTransport } from './transport-fetch.js';
import type { Transport } from './transport.js';

export function defaultTransport(_options: { readonly maxSockets: number }): Transport {
  return fetchTransport((input, init) => globalThis.fetch(input, init));
}
