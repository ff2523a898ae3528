/**
 * Raw HTTP/1.1 over node:net for the server tests that need what fetch hides: clients
 * that stop reading, trickle bodies, never send a byte, or read an answer byte-exact.
 */
import { type Socket, connect } from 'node:net';

/** A connected socket to the server at `url`. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The head of a request, with `Content-Length` when a body length is given. */
export function requestHead(method: string, path: string, headers: Readonly<Record<string, string | number>> = {}, bodyLength?: number): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: localhost', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (bodyLength !== undefined) lines.push(`content-length: ${bodyLength}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One parsed response: status, lower-cased headers, the body bytes received, and whether all `Content-Length` bytes came. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly complete: boolean;
}

/** Parses what a socket received until it closed (one response). */
export function parseResponse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), complete: false };
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(end + 4);
  const declared = Number(headers['content-length']);
  return { status: Number(statusLine.split(' ')[1]), headers, body, complete: body.byteLength === declared };
}

/** Everything the socket receives until it closes. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Resolves once the socket closes (or at once if it has). */
export function closed(socket: Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling; fails after `limitMs` (a hang guard, not a timing assertion). */
export async function until(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** A binary v2 request (Inference-Header-Content-Length framing) for one FP32 input. */
export function binaryFp32Request(input: string, shape: readonly number[], output?: string): { head: Record<string, string | number>; body: Buffer } {
  const elements = shape.reduce((a, b) => a * b, 1);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: input, shape, datatype: 'FP32', parameters: { binary_data_size: elements * 4 } }],
      ...(output === undefined ? {} : { outputs: [{ name: output, parameters: { binary_data: true } }] }),
    }),
  );
  const data = Buffer.alloc(elements * 4);
  for (let i = 0; i < elements; i++) data.writeFloatLE((i % 1000) / 7, i * 4);
  return { head: { 'content-type': 'application/octet-stream', 'inference-header-content-length': header.byteLength }, body: Buffer.concat([header, data]) };
}
