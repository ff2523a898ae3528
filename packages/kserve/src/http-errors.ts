/**
 * HTTP error responses to `InprocError`s. A server that says which Inproc code applies
 * (`inproc serve` puts it in the error body) is believed; otherwise the status decides,
 * with the server's own message kept and the response as the `cause`.
 * @module
 */
import { InprocError } from '@inproc/core';
import { type Phase, codeOfStatus, readErrorBody } from './protocol/status.js';
import type { TransportResponse } from './transport.js';

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

/** An `InprocError` for a response with an error status. */
export function errorFromResponse(response: TransportResponse, url: string, phase: Phase): InprocError {
  const { message, code } = readErrorBody(new TextDecoder().decode(response.body));
  const said = message ?? '';
  const cause = new ServerError(response.status, url, said);
  const hint = phase === 'load' && (response.status === 401 || response.status === 403) ? ' (pass credentials with backendOptions.headers, e.g. { authorization: "Bearer ..." })' : '';
  return new InprocError(code ?? codeOfStatus(response.status, phase), `${url}: HTTP ${response.status}${said === '' ? '' : `: ${said}`}${hint}`, { cause, details: { status: response.status } });
}
