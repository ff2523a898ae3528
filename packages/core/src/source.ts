/**
 * Turns what the caller passed to `loadModel` (a path, a URL, bytes) into a
 * {@link ModelSource}: the model file's bytes, read with progress and cancellation,
 * its format, and a way to read the files beside it.
 * @module
 */
import type { ModelFormat, ModelSource } from './backend.js';
import { MODEL_FORMATS } from './backend.js';
import { InprocError, messageOf } from './errors.js';
import { sniffFormat } from './format.js';
import { throwIfAborted } from './call-signal.js';
import { findModelFile } from './model-file.js';
import { isNode, node } from './platform.js';
import { describe } from './tensor.js';

/** Anything `loadModel` accepts as a model. */
export type ModelInput = string | URL | Uint8Array | ArrayBuffer;

/** @internal */
export interface ReadOptions {
  readonly format?: ModelFormat | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((p: { loaded: number; total?: number }) => void) | undefined;
}

const CHUNK = 1 << 20;

/** Reads and sniffs a model source. @internal */
export async function resolveSource(input: ModelInput, options: ReadOptions = {}): Promise<ModelSource> {
  if (options.format !== undefined && !MODEL_FORMATS.includes(options.format)) {
    throw new InprocError('INPUT_INVALID', `options.format must be one of ${MODEL_FORMATS.join(', ')}, got ${describe(options.format)}`);
  }
  throwIfAborted(options.signal, 'the load');
  let partial: Omit<ModelSource, 'format'>;
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const what = input instanceof Uint8Array ? 'Uint8Array' : 'ArrayBuffer';
    const buffer = input instanceof Uint8Array ? input.buffer : input;
    if (isDetached(buffer)) throw new InprocError('INPUT_INVALID', `loadModel: the ${what}'s memory was transferred or detached; it holds no model`);
    // Runtimes refuse shared memory (another thread may change it while they parse): parse a private copy.
    const view = input instanceof Uint8Array ? input : new Uint8Array(input);
    const bytes = buffer instanceof ArrayBuffer ? view : view.slice();
    partial = { bytes, name: `<${what} ${bytes.byteLength} bytes>` };
    options.onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
  } else if (input instanceof URL || typeof input === 'string') {
    const url = toUrl(input);
    if (url === undefined) partial = await readPath(input as string, options);
    else if (url.protocol === 'file:') partial = await readPath((await node()).url.fileURLToPath(url), options);
    else partial = await readUrl(url, options);
  } else {
    throw new InprocError('INPUT_INVALID', `loadModel: source must be a path, URL, Uint8Array or ArrayBuffer, got ${describe(input)}`);
  }
  if (partial.bytes.byteLength === 0) throw new InprocError('MODEL_INVALID', `${partial.name}: the model file is empty`);
  const format = options.format ?? sniffFormat(partial.bytes, partial.path ?? partial.url?.pathname);
  if (format === undefined) {
    throw new InprocError('FORMAT_UNKNOWN', `${partial.name}: not an ONNX model nor a TensorFlow.js model.json (first bytes: ${hexPrefix(partial.bytes)}); pass options.format if it is one`);
  }
  return { ...partial, format };
}

/** The source of a backend that takes URLs (see `Backend.takes`): nothing is read. @internal */
export function urlSource(input: ModelInput, format: ModelFormat | undefined): ModelSource {
  const url = typeof input === 'string' || input instanceof URL ? toUrl(input) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new InprocError('INPUT_INVALID', `loadModel: this backend takes the http(s) URL of a model on a server, got ${describe(input)}`);
  if (format !== undefined && !MODEL_FORMATS.includes(format)) throw new InprocError('INPUT_INVALID', `options.format must be one of ${MODEL_FORMATS.join(', ')}, got ${describe(format)}`);
  return { format: format ?? 'onnx', name: url.href, bytes: new Uint8Array(0), url };
}

/** A URL for strings that carry a scheme (`file:`, `http:`, ...), undefined for plain paths. */
function toUrl(input: string | URL): URL | undefined {
  if (input instanceof URL) return input;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(input) && !/^[a-zA-Z]:[\\/]/.test(input)) {
    try {
      return new URL(input);
    } catch {
      return undefined;
    }
  }
  if (!isNode()) {
    // In a page a relative string is relative to the document, as fetch() would take it.
    const base = (globalThis as { location?: { href: string } }).location?.href;
    if (base !== undefined) return new URL(input, base);
  }
  return undefined;
}

async function readPath(input: string, options: ReadOptions): Promise<Omit<ModelSource, 'format'>> {
  if (!isNode()) throw new InprocError('INPUT_INVALID', `loadModel: "${input}" is a file path, which needs Node; in a browser pass a URL`);
  if (input.length === 0 || input.includes('\0')) throw new InprocError('INPUT_INVALID', `loadModel: invalid path ${describe(input)}`);
  const { fs, path } = await node();
  let file = path.resolve(input);
  const info = await statOrNotFound(fs, file);
  if (info.isDirectory()) {
    const dir = file;
    // Any entry but a directory counts: a model.onnx that is a FIFO is then refused by name below, not skipped.
    const present = async (name: string): Promise<boolean> => (await fs.stat(path.join(dir, name)).catch(() => undefined))?.isDirectory() === false;
    file = path.join(dir, await findModelFile({ exists: present, list: () => fs.readdir(dir) }, dir));
  }
  const bytes = await readRegularFile(file, { ...options, what: 'the model file' });
  const dir = path.dirname(file);
  const resolveSibling = async (relative: string): Promise<string> => {
    const target = path.resolve(dir, relative);
    const rel = path.relative(dir, target);
    if (relative.includes('\0') || rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || path.isAbsolute(relative)) {
      throw new InprocError('MODEL_INVALID', `${file}: refers to "${relative}", which is outside the model's directory`);
    }
    const stat = await statOrNotFound(fs, target);
    // The text check above cannot see symlinks: compare real paths too.
    const [realDir, realTarget] = await Promise.all([fs.realpath(dir), fs.realpath(target)]);
    const realRel = path.relative(realDir, realTarget);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
      throw new InprocError('MODEL_INVALID', `${file}: "${relative}" is a link to ${realTarget}, outside the model's directory`);
    }
    if (!stat.isFile()) throw new InprocError('MODEL_INVALID', `${file}: "${relative}" is not a regular file`, { details: { file: target } });
    return target;
  };
  return {
    bytes,
    name: file,
    path: file,
    resolveSibling,
    readSibling: async (relative, signal) => readRegularFile(await resolveSibling(relative), { signal, what: `"${relative}" beside ${file}` }),
  };
}

async function statOrNotFound(fs: Awaited<ReturnType<typeof node>>['fs'], file: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }> {
  try {
    return await fs.stat(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InprocError('MODEL_NOT_FOUND', `model file not found: ${file}`, { cause: error });
    throw new InprocError('MODEL_NOT_FOUND', `cannot read ${file}: ${messageOf(error)}`, { cause: error });
  }
}

/** Options of {@link readRegularFile}. @internal */
export interface ReadFileOptions extends ReadOptions {
  /** What the file is, for messages (`the labels file`). */
  readonly what: string;
  /** Larger files are refused with `MODEL_INVALID` before they are read. */
  readonly maxBytes?: number;
}

/**
 * Reads a regular file whole, in chunks, with progress and cancellation. Anything else (a
 * FIFO, a socket, a device) is refused with `MODEL_INVALID` before a byte is read: it is
 * opened non-blocking and checked through the open handle, so a FIFO can neither hang the
 * call nor hold a libuv thread, and the file checked is the file read.
 * @throws InprocError `MODEL_NOT_FOUND` (missing, unreadable), `MODEL_INVALID` (not regular, too large), `ABORTED`
 * @internal
 */
export async function readRegularFile(file: string, options: ReadFileOptions): Promise<Uint8Array> {
  const { fs } = await node();
  const { O_RDONLY, O_NONBLOCK } = fs.constants;
  const handle = await fs.open(file, O_RDONLY | (O_NONBLOCK ?? 0)).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    throw new InprocError('MODEL_NOT_FOUND', missing ? `${options.what} was not found: ${file}` : `cannot open ${options.what} ${file}: ${messageOf(error)}`, { cause: error });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InprocError('MODEL_INVALID', `${options.what} ${file} is not a regular file${info.isFIFO() ? ' (it is a FIFO)' : ''}`, { details: { file } });
    const size = info.size;
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      throw new InprocError('MODEL_INVALID', `${options.what} ${file} has ${size} bytes, more than the ${options.maxBytes} allowed`, { details: { file } });
    }
    const bytes = new Uint8Array(size);
    let loaded = 0;
    while (loaded < size) {
      throwIfAborted(options.signal, 'the load');
      const { bytesRead } = await handle.read(bytes, loaded, Math.min(CHUNK, size - loaded), loaded);
      if (bytesRead === 0) break; // file shrank while being read
      loaded += bytesRead;
      options.onProgress?.({ loaded, total: size });
    }
    if (size === 0) options.onProgress?.({ loaded: 0, total: 0 });
    return loaded === size ? bytes : bytes.subarray(0, loaded);
  } catch (error) {
    throw abortedOr(error, options.signal);
  } finally {
    await handle.close();
  }
}

async function readUrl(url: URL, options: ReadOptions): Promise<Omit<ModelSource, 'format'>> {
  const bytes = await fetchBytes(url, options);
  return {
    bytes,
    name: url.href,
    url,
    readSibling: (relative, signal) => {
      const target = new URL(relative, url);
      if (target.origin !== url.origin) return Promise.reject(new InprocError('MODEL_INVALID', `${url.href}: refers to "${relative}", which is on another origin`));
      return fetchBytes(target, { signal });
    },
  };
}

/** Fetches a URL's body with streamed progress; 404 and network errors -> `MODEL_NOT_FOUND`. @internal */
export async function fetchBytes(url: URL, options: ReadOptions): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, options.signal === undefined ? {} : { signal: options.signal });
  } catch (error) {
    throw abortedOr(error, options.signal, () => new InprocError('MODEL_NOT_FOUND', `cannot fetch ${url.href}: ${messageOf(error)}`, { cause: error }));
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new InprocError('MODEL_NOT_FOUND', `cannot fetch ${url.href}: HTTP ${response.status} ${response.statusText}`.trim(), { details: { status: response.status } });
  }
  const header = response.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  try {
    if (response.body === null) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      options.onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      options.onProgress?.(total === undefined ? { loaded } : { loaded, total });
    }
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(loaded);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  } catch (error) {
    throw abortedOr(error, options.signal, () => new InprocError('MODEL_NOT_FOUND', `reading ${url.href} failed: ${messageOf(error)}`, { cause: error }));
  }
}

/** `ABORTED` when the signal fired, else the given (or original) error. @internal */
export function abortedOr(error: unknown, signal: AbortSignal | undefined, otherwise?: () => unknown): unknown {
  if (signal?.aborted === true) return InprocError.is(error, 'ABORTED') ? error : new InprocError('ABORTED', 'the load was aborted', { cause: signal.reason });
  return otherwise === undefined ? error : otherwise();
}

/** True for an ArrayBuffer whose memory was transferred away (Node 20 has no `ArrayBuffer.prototype.detached`). */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (!(buffer instanceof ArrayBuffer)) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function hexPrefix(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
