/**
 * Reading a request body within a byte limit: a `Content-Length` above it is refused
 * before anything is read, and a chunked body is cut off as soon as it passes it.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-errors.js';

/** The whole body. @throws HttpError 413 `LIMIT_EXCEEDED` past `limit` bytes; 400 when the client went away mid-body */
export async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(Number(declared), limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(size, limit);
    chunks.push(chunk);
  }
  // A buffer of its own (not a slice of Node's pool), so typed arrays over it start aligned.
  const joined = Buffer.concat(chunks, size);
  return joined.byteOffset === 0 && joined.buffer.byteLength === size ? new Uint8Array(joined.buffer) : new Uint8Array(joined);
}

function tooLarge(size: number, limit: number): HttpError {
  return new HttpError(413, 'LIMIT_EXCEEDED', `the request body is ${size} bytes or more; this server accepts at most ${limit} (maxBodyBytes)`);
}
