/**
 * The `fetch` transport: browsers, and Node when `backendOptions.fetch` is given.
 * Redirects are not followed (`redirect: 'manual'`; a browser hides the target of such
 * an answer, Node's fetch shows it), the answer is read chunk by chunk up to its limit,
 * and the deadline aborts the request.
 * @module
 */
import { ConnectionFailure, ERROR_BODY_BYTES, type Transport, type TransportRequest, type TransportResponse, abortReason, pastDeadline, tooLarge } from './transport.js';

/** A transport on a `fetch` function. */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return { request: (request) => send(fetchImpl, request), close: () => undefined };
}

async function send(fetchImpl: typeof fetch, request: TransportRequest): Promise<TransportResponse> {
  const { url, signal } = request;
  if (signal?.aborted === true) throw abortReason(signal);
  const controller = new AbortController();
  let why: unknown;
  const stop = (reason: unknown): void => {
    why ??= reason;
    controller.abort(why);
  };
  const onAbort = (): void => stop(abortReason(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop(pastDeadline(url, request.timeoutMs)), Math.max(0, request.deadline - performance.now()));
  try {
    const parts = request.body ?? [];
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
        signal: controller.signal,
        ...(parts.length === 0 ? {} : { body: parts.length === 1 ? (parts[0] as Uint8Array<ArrayBuffer>) : new Blob(parts as Uint8Array<ArrayBuffer>[]) }),
      });
    } catch (error) {
      if (why !== undefined) throw why as Error;
      throw new ConnectionFailure(describe(error), codeOf(error), { cause: error });
    }
    const ok = response.status >= 200 && response.status < 300;
    const declared = response.headers.get('content-length');
    if (ok && declared !== null && Number(declared) > request.maxResponseBytes) {
      stop(tooLarge(url, `declared as ${declared}`, request.maxResponseBytes));
      throw why as Error;
    }
    const limit = ok ? request.maxResponseBytes : ERROR_BODY_BYTES;
    const chunks: Uint8Array[] = [];
    let length = 0;
    if (response.body !== null) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (length + value.byteLength > limit) {
            if (ok) {
              stop(tooLarge(url, length + value.byteLength, limit));
              throw why as Error;
            }
            chunks.push(value.subarray(0, limit - length));
            length = limit;
            await reader.cancel().catch(() => undefined);
            break;
          }
          chunks.push(value);
          length += value.byteLength;
        }
      } catch (error) {
        if (why !== undefined) throw why as Error;
        throw new ConnectionFailure(`the answer was cut: ${describe(error)}`, codeOf(error), { cause: error });
      }
    }
    let body: Uint8Array;
    if (chunks.length === 1) {
      body = chunks[0]!;
    } else {
      body = new Uint8Array(length);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
    }
    // A browser's answer to redirect: 'manual' is opaque: status 0, no Location.
    const status = response.type === 'opaqueredirect' ? 302 : response.status;
    return { status, header: (name) => response.headers.get(name) ?? undefined, body };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A fetch failure's words: Node's fetch hides the socket error (ECONNREFUSED, ...) in `cause`. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}
