/**
 * Reading a request body within limits: the body's own (`maxBodyBytes`: 413, a
 * `Content-Length` above it refused before anything is read, a chunked body cut off as
 * soon as it passes it), and the server's (`maxBodiesBytes`, the bytes of all bodies held
 * at once: 503, retry later). `Content-Encoding: gzip` / `deflate` bodies are inflated
 * as a stream, in zlib's thread pool, under the same limits on their inflated size, so a
 * small body that inflates to gigabytes (a zip bomb) is a 413 after `maxBodyBytes`;
 * other encodings are 415.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type * as Zlib from 'node:zlib';
import { nodeModule } from '@inproc/core/backend';
import { alignmentPad } from '@inproc/kserve/protocol';
import { HttpError } from './http-errors.js';

/** Bytes the server holds for a purpose, under a limit shared by every request. */
export class ByteBudget {
  #held = 0;
  #peak = 0;
  constructor(
    readonly limit: number,
    readonly option: string,
  ) {}
  get held(): number {
    return this.#held;
  }
  get peak(): number {
    return this.#peak;
  }
  /** Takes `bytes` when they fit under the limit; false (nothing taken) when they do not. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    this.#peak = Math.max(this.#peak, this.#held);
    return true;
  }
  give(bytes: number): void {
    this.#held -= bytes;
  }
}

/** One request's share of a budget: given back, all at once, by `release()`. */
export class Hold {
  #bytes = 0;
  constructor(readonly budget: ByteBudget) {}
  /** @throws HttpError 503 `LIMIT_EXCEEDED` when the budget is spent */
  take(bytes: number): void {
    if (!this.budget.take(bytes)) {
      throw new HttpError(503, 'LIMIT_EXCEEDED', `the server holds ${this.budget.held} bytes of request bodies, near its limit of ${this.budget.limit} (${this.budget.option}); retry later`);
    }
    this.#bytes += bytes;
  }
  release(): void {
    this.budget.give(this.#bytes);
    this.#bytes = 0;
  }
}

type Encoding = 'gzip' | 'deflate' | undefined;

/** The request's `Content-Encoding`. @throws HttpError 415 for one this server cannot decode */
export function contentEncoding(request: IncomingMessage): Encoding {
  const header = request.headers['content-encoding'];
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return undefined;
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  throw new HttpError(415, 'INPUT_INVALID', `Content-Encoding ${JSON.stringify(header!.slice(0, 100))} is not supported; send identity, gzip or deflate`);
}

/**
 * The whole body, decoded. Every byte read (and inflated) is taken from `hold`. With
 * `headerLength` (a request's `Inference-Header-Content-Length`), a plain body of declared
 * length is placed so that the bytes after that many (the binary tensors) start at a
 * multiple of 8 of their buffer, where typed arrays can view them without a copy.
 * @throws HttpError 413 `LIMIT_EXCEEDED` past `limit` bytes (compressed or inflated); 503 `LIMIT_EXCEEDED` when the server's budget is spent; 415 for an unknown encoding; 400 for a body that does not inflate
 */
export async function readBody(request: IncomingMessage, limit: number, hold: Hold, headerLength?: string | string[]): Promise<Uint8Array<ArrayBuffer>> {
  const encoding = contentEncoding(request);
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(Number(declared), limit, '');
  // A declared length is taken before reading, so held bodies cannot together pass the budget.
  const reserved = declared === undefined ? 0 : Number(declared);
  hold.take(reserved);
  // The common case, a plain body of declared length (which Node's parser holds the body to): read straight into its own buffer.
  if (encoding === undefined && declared !== undefined && !request.readableEnded) return readDeclared(request, reserved, alignmentPad(headerLength, reserved));
  const raw = await collect(request as AsyncIterable<Buffer>, limit, hold, reserved, '');
  if (encoding === undefined) return raw;
  // node:zlib at the first compressed body, not at start-up (see server.ts).
  const zlib = nodeModule<typeof Zlib>('node:zlib');
  const inflate = encoding === 'gzip' ? zlib.createGunzip() : raw[0] !== undefined && (raw[0] & 0x0f) === 8 ? zlib.createInflate() : zlib.createInflateRaw();
  try {
    return await collect(Readable.from([raw]).pipe(inflate), limit, hold, 0, `${encoding}-inflated `);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'INPUT_INVALID', `the body is not valid ${encoding} data: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    inflate.destroy();
  }
}

async function collect(source: AsyncIterable<Buffer>, limit: number, hold: Hold, reserved: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(size, limit, what);
    if (size > reserved) hold.take(Math.min(chunk.byteLength, size - reserved));
    chunks.push(chunk);
  }
  // A buffer of its own (not a slice of Node's pool), so typed arrays over it start aligned.
  const joined = Buffer.concat(chunks, size);
  return joined.byteOffset === 0 && joined.buffer.byteLength === size ? new Uint8Array(joined.buffer) : new Uint8Array(joined);
}

/**
 * A body of `size` declared bytes, each chunk copied once into a buffer of its own,
 * starting `pad` bytes into it (so typed arrays over the part that must be aligned
 * start aligned). A stream that fails or closes early rejects with its error and is
 * destroyed, as reading it with `for await` would.
 */
function readDeclared(request: IncomingMessage, size: number, pad: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const buffer = new Uint8Array(size + pad);
    const out = pad === 0 ? buffer : buffer.subarray(pad);
    let length = 0;
    const done = (error: Error | undefined): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
      if (error === undefined) return resolve(out);
      request.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      if (length + chunk.byteLength > size) return done(new HttpError(400, 'INPUT_INVALID', `the request body is longer than its Content-Length (${size} bytes)`));
      out.set(chunk, length);
      length += chunk.byteLength;
    };
    const onEnd = (): void => done(length === size ? undefined : new HttpError(400, 'INPUT_INVALID', `the request body ended after ${length} of the ${size} bytes its Content-Length declares`));
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(Object.assign(new Error('the request closed before its body ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
    request.once('close', onClose);
  });
}

function tooLarge(size: number, limit: number, what: string): HttpError {
  return new HttpError(413, 'LIMIT_EXCEEDED', `the ${what}request body is ${size} bytes or more; this server accepts at most ${limit} (maxBodyBytes)`);
}
