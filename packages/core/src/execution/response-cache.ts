/**
 * The opt-in response cache: least-recently-used results keyed by a 64-bit hash of the
 * input tensors (dtype, shape, bytes) and the requested outputs, within a byte budget.
 * A hit is confirmed by comparing the stored inputs byte for byte, so a hash collision
 * can never return another input's answer; callers get copies, so mutating a result
 * cannot corrupt the cache.
 * @module
 * @internal
 */
import type { TensorData } from '../dtype.js';
import { InprocError } from '../errors.js';
import type { Outputs } from '../signature.js';
import { Tensor } from '../tensor.js';

interface Entry {
  readonly inputs: Record<string, Tensor>;
  readonly outputs: Outputs;
  readonly bytes: number;
}

export interface ResponseCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class ResponseCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>(); // insertion order = recency
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(maxBytes: number) {
    if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new InprocError('INPUT_INVALID', `cache.maxBytes must be a positive integer, got ${String(maxBytes)}`);
    }
    this.#maxBytes = maxBytes;
  }

  static key(feeds: Readonly<Record<string, Tensor>>, outputs: readonly string[]): string {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    const mixString = (s: string): void => {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      }
    };
    for (const name of Object.keys(feeds).sort()) {
      const t = feeds[name]!;
      mixString(`${name}:${t.dtype}:${t.shape.join('x')};`);
      const data = t.data;
      if (Array.isArray(data)) {
        for (const s of data) mixString(`${s.length}:${s}`);
        continue;
      }
      const view = data;
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const words = Math.floor(bytes.byteLength / 4);
      const aligned = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, words) : undefined;
      for (let i = 0; i < words; i++) {
        const w = aligned !== undefined ? aligned[i]! : bytes[i * 4]! | (bytes[i * 4 + 1]! << 8) | (bytes[i * 4 + 2]! << 16) | (bytes[i * 4 + 3]! << 24);
        h1 = Math.imul(h1 ^ w, 0x01000193);
        h1 ^= h1 >>> 15;
        h2 = Math.imul(h2 ^ w, 0x5bd1e995);
        h2 ^= h2 >>> 13;
      }
      for (let i = words * 4; i < bytes.byteLength; i++) {
        h1 = Math.imul(h1 ^ bytes[i]!, 0x01000193);
        h2 = Math.imul(h2 ^ bytes[i]!, 0x5bd1e995);
      }
    }
    mixString(`|${outputs.join(',')}`);
    return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16).padStart(8, '0')}`;
  }

  get(key: string, feeds: Readonly<Record<string, Tensor>>): Outputs | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || !sameFeeds(entry.inputs, feeds)) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key); // move to most recent
    this.#entries.set(key, entry);
    return cloneOutputs(entry.outputs);
  }

  set(key: string, feeds: Readonly<Record<string, Tensor>>, outputs: Outputs): void {
    const inputs: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = cloneTensor(t);
    const stored = cloneOutputs(outputs);
    const bytes = [...Object.values(inputs), ...Object.values(stored)].reduce((n, t) => n + t.byteLength, 0);
    if (bytes > this.#maxBytes) return; // would evict everything and still not fit
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= previous.bytes;
    }
    this.#entries.set(key, { inputs, outputs: stored, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  stats(): ResponseCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

function cloneTensor(t: Tensor): Tensor {
  const data = t.data;
  return new Tensor(t.dtype, (Array.isArray(data) ? [...(data)] : (data as Float32Array).slice()), t.shape);
}

function cloneOutputs(outputs: Outputs): Outputs {
  const out: Outputs = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = cloneTensor(t);
  return out;
}

function sameFeeds(a: Readonly<Record<string, Tensor>>, b: Readonly<Record<string, Tensor>>): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) {
    const x = a[name]!;
    const y = b[name];
    if (y === undefined || x.dtype !== y.dtype || x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) return false;
    const dx = x.data;
    const dy = y.data;
    if (Array.isArray(dx)) {
      if (!Array.isArray(dy) || dx.some((s, i) => s !== dy[i])) return false;
      continue;
    }
    const bx = dx;
    const by = dy as Exclude<TensorData, string[]>;
    const ux = new Uint8Array(bx.buffer, bx.byteOffset, bx.byteLength);
    const uy = new Uint8Array(by.buffer, by.byteOffset, by.byteLength);
    if (ux.byteLength !== uy.byteLength) return false;
    for (let i = 0; i < ux.byteLength; i++) if (ux[i] !== uy[i]) return false;
  }
  return true;
}
