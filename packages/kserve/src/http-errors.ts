/**
 * HTTP error responses to `InprocError`s. A server that says which Inproc code applies
 * (`inproc serve` puts it in the error body) is believed; otherwise the status decides,
 * with the server's own message kept and the response as the `cause`.
 * @module
 */
import { type ErrorCode, ErrorCodes, InprocError } from '@inproc/core';

/** The `cause` of an error the server answered with: its status and message. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(`HTTP ${status} from ${url}: ${message}`);
  }
}

/** Whether the call was loading the model (metadata) or running it (infer). */
export type Phase = 'load' | 'run';

/** The code for a status when the body names none. Triton answers an unknown model with 400, so a failed load maps to MODEL_NOT_FOUND. */
function codeFor(status: number, phase: Phase): ErrorCode {
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 413 || status === 431) return 'LIMIT_EXCEEDED';
  if (status === 429 || status === 503) return 'QUEUE_FULL';
  if (status === 499) return 'ABORTED';
  if (phase === 'load') return status === 401 || status === 403 ? 'BACKEND_UNAVAILABLE' : 'MODEL_NOT_FOUND';
  if (status === 404) return 'MODEL_NOT_FOUND';
  if (status >= 400 && status < 500 && status !== 401 && status !== 403) return 'INPUT_INVALID';
  return 'RUN_FAILED';
}

/** The message and code a response body carries (`{ "error": ..., "code": ... }`), whatever its shape. */
export function readErrorBody(text: string): { message: string | undefined; code: ErrorCode | undefined } {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { error, code } = body as { error?: unknown; code?: unknown };
      return {
        message: typeof error === 'string' ? error : undefined,
        code: typeof code === 'string' && (ErrorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : undefined,
      };
    }
  } catch {
    // not JSON: the text itself is the message
  }
  return { message: text.trim() === '' ? undefined : text.trim().slice(0, 500), code: undefined };
}

/** An `InprocError` for a response with an error status; reads (and so releases) its body. */
export async function errorFromResponse(response: Response, url: string, phase: Phase): Promise<InprocError> {
  const text = await response.text().catch(() => '');
  const { message, code } = readErrorBody(text);
  const said = message ?? response.statusText ?? '';
  const cause = new ServerError(response.status, url, said);
  const hint = phase === 'load' && (response.status === 401 || response.status === 403) ? ' (pass credentials with backendOptions.headers, e.g. { authorization: "Bearer ..." })' : '';
  return new InprocError(code ?? codeFor(response.status, phase), `${url}: HTTP ${response.status}${said === '' ? '' : `: ${said}`}${hint}`, { cause, details: { status: response.status } });
}
