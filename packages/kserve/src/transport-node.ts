/**
 * The Node transport: `node:http` / `node:https` with a keep-alive agent per model (a
 * pool of at most `concurrency` connections per server, most recently used first). It
 * costs about what a bare `http.request` does, where the global `fetch` costs twice that
 * on loopback (benchmarks/remote prints both). Bodies go out in their parts (large
 * tensors are not concatenated); an answer whose size is known is read into one buffer,
 * placed so that the binary tensors after the JSON header start 8-byte aligned, so the
 * decoder can view them in place.
 * @module
 */
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HEADER_LENGTH, JOIN_BELOW, alignmentPad } from './protocol/bodies.js';
import { ConnectionFailure, ERROR_BODY_BYTES, type Transport, type TransportRequest, type TransportResponse, abortReason, pastDeadline, tooLarge } from './transport.js';

/** A keep-alive pool on node:http(s). */
export function nodeTransport(options: { readonly maxSockets: number }): Transport {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' as const };
  const http = new HttpAgent(agentOptions);
  let https: HttpsAgent | undefined;
  return {
    request: (request) => send(request, request.url.protocol === 'https:' ? (https ??= new HttpsAgent(agentOptions)) : http),
    close() {
      http.destroy();
      https?.destroy();
    },
  };
}

function send(request: TransportRequest, agent: HttpAgent): Promise<TransportResponse> {
  const { url, signal } = request;
  return new Promise<TransportResponse>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const parts = request.body ?? [];
    let length = 0;
    for (const part of parts) length += part.byteLength;
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.method === 'POST') headers['content-length'] = length;
    const options = { method: request.method, agent, headers };
    const req: ClientRequest = url.protocol === 'https:' ? httpsRequest(url, options) : httpRequest(url, options);
    let settled = false;
    const finish = (error: unknown, response?: TransportResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(response!);
      else reject(error);
    };
    const fail = (error: unknown): void => {
      finish(error);
      req.destroy();
    };
    const onAbort = (): void => fail(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => fail(pastDeadline(url, request.timeoutMs)), Math.max(0, request.deadline - performance.now()));
    req.on('error', (error: NodeJS.ErrnoException) => finish(new ConnectionFailure(error.message, error.code, { cause: error })));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const declared = res.headers['content-length'];
      const size = declared === undefined ? undefined : Number(declared);
      if (ok && size !== undefined && size > request.maxResponseBytes) {
        fail(tooLarge(url, `declared as ${declared}`, request.maxResponseBytes));
        return;
      }
      const limit = ok ? request.maxResponseBytes : ERROR_BODY_BYTES;
      const reader = bodyReader(size !== undefined && Number.isSafeInteger(size) && size <= limit ? size : undefined, ok ? res.headers[HEADER_LENGTH] : undefined);
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (reader.length + chunk.byteLength > limit) {
          if (ok) {
            fail(tooLarge(url, reader.length + chunk.byteLength, limit));
          } else {
            // An error answer: keep what fits for its message, close the connection.
            reader.push(chunk.subarray(0, limit - reader.length));
            finish(undefined, answer(status, res, reader.body()));
            req.destroy();
          }
          return;
        }
        reader.push(chunk);
      });
      res.on('end', () => {
        if (size !== undefined && reader.length !== size) finish(new ConnectionFailure(`the answer ended after ${reader.length} of the ${size} bytes it declared`, undefined));
        else finish(undefined, answer(status, res, reader.body()));
      });
      res.on('error', (error: NodeJS.ErrnoException) => finish(new ConnectionFailure(error.message, error.code, { cause: error })));
      res.on('aborted', () => finish(new ConnectionFailure('the connection closed before the whole answer came', 'ECONNRESET')));
    });
    if (parts.length === 0) {
      req.end();
    } else if (length < JOIN_BELOW || parts.length === 1) {
      req.end(parts.length === 1 ? parts[0] : gather(parts, length));
    } else {
      for (const part of parts) req.write(part);
      req.end();
    }
  });
}

function answer(status: number, res: IncomingMessage, body: Uint8Array): TransportResponse {
  const headers = res.headers;
  return {
    status,
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body,
  };
}

function gather(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Collects a body. With its size known it copies each chunk once into a buffer whose
 * binary part (after the `inference-header-content-length` bytes of JSON) starts at a
 * multiple of 8; otherwise it keeps the chunks and joins them at the end (one chunk is
 * used as it is).
 */
function bodyReader(size: number | undefined, headerLength: string | string[] | undefined): { length: number; push(chunk: Uint8Array): void; body(): Uint8Array } {
  if (size !== undefined) {
    const pad = alignmentPad(headerLength, size);
    const out = new Uint8Array(size + pad);
    let length = 0;
    return {
      get length() {
        return length;
      },
      push(chunk) {
        // The caller checks the limit; a server sending more than it declared is cut here and caught at 'end'.
        const room = Math.min(chunk.byteLength, size - length);
        out.set(room === chunk.byteLength ? chunk : chunk.subarray(0, room), pad + length);
        length += chunk.byteLength;
      },
      body: () => out.subarray(pad, pad + size),
    };
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  return {
    get length() {
      return length;
    },
    push(chunk) {
      chunks.push(chunk);
      length += chunk.byteLength;
    },
    body: () => (chunks.length === 1 ? chunks[0]! : gather(chunks, length)),
  };
}
