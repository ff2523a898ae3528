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
  // One copy into an ArrayBuffer of our own: typed arrays over it are then aligned from offset 0.
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(size: number, limit: number): HttpError {
  return new HttpError(413, 'LIMIT_EXCEEDED', `the request body is ${size} bytes or more; this server accepts at most ${limit} (maxBodyBytes)`);
}
