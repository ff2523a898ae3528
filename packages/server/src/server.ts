/**
 * `serve()`: the Open Inference Protocol over an Inproc repository, on `node:http`.
 *
 * Why node:http and not a framework: the API is a dozen fixed routes, and what matters
 * is at the HTTP layer — body and header size limits, request and header timeouts,
 * keep-alive, and a graceful shutdown that finishes accepted requests — all of which
 * node:http provides (`maxHeaderSize`, `requestTimeout`, `headersTimeout`,
 * `closeIdleConnections`). Binary tensor bodies must be read raw; a framework's body
 * parsing would be bypassed anyway. Metrics use prom-client (Prometheus text format),
 * imported at the first scrape (metrics.ts).
 * @module
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as Zlib from 'node:zlib';
import { InprocError, type Repository, openRepository } from '@inproc/core';
import { nodeModule } from '@inproc/core/backend';
import { HEADER_LENGTH, type ServerMetadata } from '@inproc/kserve/protocol';
import { ByteBudget, Hold, readBody } from './body.js';
import { HttpError, errorAnswer } from './http-errors.js';
import { ServerMetrics } from './metrics.js';
import { type Answer, PerModelQueue, type RouteContext, infer, liveness, loadModel, modelConfig, modelMetadata, modelReady, modelStatistics, readiness, repositoryIndex, serverMetadata, unloadModel } from './routes.js';
import type { InprocServer, ServeOptions, ServerStats } from './types.js';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  maxBodyBytes: 64 << 20,
  maxHeaderBytes: 16 << 10,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxInflight: 256,
  shutdownTimeoutMs: 30_000,
  maxBodiesBytes: 256 << 20,
  maxUnreadResponseBytes: 256 << 20,
  writeTimeoutMs: 30_000,
};

/** Extensions this server implements, as Triton names them in its server metadata. */
const EXTENSIONS = ['binary_tensor_data', 'model_configuration', 'model_repository', 'schedule_policy', 'statistics'];

// eslint-disable-next-line @typescript-eslint/unbound-method -- called on the http server, below
const netClose = NetServer.prototype.close;

// Node's modules that start-up needs not, or not as ESM namespaces (benchmarks/cold-start): node:fs
// here without its namespace (~4 ms on a slow machine); node:zlib at the first answer worth
// compressing (compress(), below) and node:crypto at the first token check, through
// nodeModule (process.getBuiltinModule, or require where a runtime lacks it).
const VERSION = (JSON.parse(nodeModule<typeof Fs>('node:fs').readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A body compressed at zlib's fastest level, on zlib's thread pool. */
function compress(encoding: 'gzip' | 'deflate', body: Uint8Array): Promise<Buffer> {
  const zlib = nodeModule<typeof Zlib>('node:zlib');
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, out: Buffer): void => (error === null ? resolve(out) : reject(error));
    if (encoding === 'gzip') zlib.gzip(body, { level: zlib.constants.Z_BEST_SPEED }, done);
    else zlib.deflate(body, { level: zlib.constants.Z_BEST_SPEED }, done);
  });
}

/**
 * Serves a repository (a `Repository`, or a root path or URL to open) over the v2 REST
 * API. Resolves once the server listens; `url` says where.
 *
 * ```ts
 * await using server = await serve('models', { port: 8000 });
 * const model = await loadModel(`${server.url}/v2/models/mlp`, { backend: 'kserve' });
 * ```
 * @throws InprocError `INPUT_INVALID` for bad options; the errors of `openRepository`; `LIMIT_EXCEEDED` when the port is taken
 */
export async function serve(repository: Repository | string | URL, options: ServeOptions = {}): Promise<InprocServer> {
  const settings = checkOptions(options);
  const owned = typeof repository === 'string' || repository instanceof URL;
  const repo = owned ? await openRepository(repository, options.repository ?? {}) : repository;
  try {
    if (options.preload === true) await preload(repo, options.log);
    return await start(repo, owned, settings, options.log);
  } catch (error) {
    if (owned) await repo.close();
    throw error;
  }
}

type Settings = typeof DEFAULTS & { readonly modelControl: 'none' | 'explicit'; readonly controlToken: string | undefined };

async function preload(repo: Repository, log: ServeOptions['log']): Promise<void> {
  for (const name of repo.models()) {
    try {
      const lease = await repo.get(name);
      lease.release();
      log?.(`loaded ${name}@${lease.version}`);
    } catch (error) {
      log?.(`could not load ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Bytes of a body held whole or in parts. */
function byteLength(body: Uint8Array | readonly Uint8Array[]): number {
  if (!Array.isArray(body)) return (body as Uint8Array).byteLength;
  let n = 0;
  for (const part of body as readonly Uint8Array[]) n += part.byteLength;
  return n;
}

async function start(repo: Repository, owned: boolean, settings: Settings, log: ServeOptions['log']): Promise<InprocServer> {
  // prom-client is imported at the first scrape (metrics.ts).
  const metrics = new ServerMetrics();

  const counts: Record<string, number> = {};
  let inflight = 0;
  let peakInflight = 0;
  let rejectedBusy = 0;
  let silentClosed = 0;
  let writeTimeouts = 0;
  let cutAtShutdown = 0;
  let closing: Promise<void> | undefined;
  /** Bytes of request bodies held (read, inflated), and of responses handed to sockets that their clients have not taken yet. */
  const bodies = new ByteBudget(settings.maxBodiesBytes, 'maxBodiesBytes');
  const unread = new ByteBudget(Number.MAX_SAFE_INTEGER, 'maxUnreadResponseBytes');
  /** Every accepted request until its answer is written (or its connection is gone): shutdown waits for these. */
  const active = new Set<ServerResponse>();
  /** Connections with an accepted request not yet answered, and how many. */
  const busy = new Map<Socket, number>();
  let drained: (() => void) | undefined;
  const server: ServerMetadata = { name: 'inproc', version: VERSION, extensions: EXTENSIONS };
  const ctx: RouteContext = { repository: repo, server, unloaded: new Set(), closing: () => closing !== undefined, control: new PerModelQueue(), lastInference: new Map() };

  const send = async (request: IncomingMessage, response: ServerResponse, route: string, answer: Answer, started: number): Promise<void> => {
    let body: Uint8Array | readonly Uint8Array[];
    const headers: Record<string, string | number> = {};
    if ('json' in answer) {
      body = Buffer.from(JSON.stringify(answer.json));
      headers['content-type'] = 'application/json';
    } else {
      body = answer.body;
      Object.assign(headers, answer.headers);
    }
    let size = byteLength(body);
    const encoding = size >= COMPRESS_FROM ? acceptedEncoding(request.headers['accept-encoding']) : undefined;
    if (encoding !== undefined) {
      body = await compress(encoding, Array.isArray(body) ? Buffer.concat(body as readonly Uint8Array[], size) : (body as Uint8Array));
      size = body.byteLength;
      headers['content-encoding'] = encoding;
    }
    if (encoding !== undefined || answer.status === 200) headers['vary'] = 'accept-encoding';
    if (response.destroyed) return;
    if (closing !== undefined) response.setHeader('connection', 'close');
    headers['content-length'] = size;
    response.writeHead(answer.status, headers);
    // The head and every part go out at once (one writev, corked); what the socket did not hand to the kernel stays in this process.
    if (Array.isArray(body)) {
      response.cork();
      for (const part of body as readonly Uint8Array[]) response.write(part);
      response.end();
      response.uncork();
    } else {
      response.end(body);
    }
    // writableLength: bytes the socket has not handed to the kernel, and those of an answer still queued behind another (pipelining).
    if (response.writableLength > 0) {
      // A client that stops reading its answer: after writeTimeoutMs without progress the connection is closed and the bytes
      // freed. An answer the kernel took whole (the usual case) holds nothing here, so it needs neither the timer nor the budget.
      unread.take(size);
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        unread.give(size);
      };
      response.once('finish', settle);
      response.once('close', settle);
      response.setTimeout(settings.writeTimeoutMs, () => {
        if (response.writableFinished) return;
        writeTimeouts++;
        log?.(`closed a connection whose client read none of its ${size}-byte answer for ${settings.writeTimeoutMs} ms (writeTimeoutMs)`);
        settle();
        response.destroy();
      });
    }
    const key = `${route} ${answer.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
    metrics.response(route, answer.status, (performance.now() - started) / 1000);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    let route = 'unknown';
    const hold = new Hold(bodies);
    active.add(response);
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once('close', () => {
      hold.release();
      active.delete(response);
      const left = (busy.get(socket) ?? 1) - 1;
      if (left === 0) busy.delete(socket);
      else busy.set(socket, left);
      if (active.size === 0) drained?.();
    });
    const body = (limit = settings.maxBodyBytes, headerLength?: string | string[]): Promise<Uint8Array<ArrayBuffer>> => readBody(request, limit, hold, headerLength);
    // The repository extension's bodies are small JSON objects, parsed at once: they get a small limit.
    const controlBody = (): Promise<Uint8Array<ArrayBuffer>> => body(Math.min(settings.maxBodyBytes, CONTROL_BODY_BYTES));
    try {
      const { method = 'GET' } = request;
      const segments = pathSegments(request.url ?? '/');
      const match = matchRoute(segments);
      if (match === undefined) throw new HttpError(404, 'INPUT_INVALID', `no endpoint ${method} ${(request.url ?? '').slice(0, 200)}; this server speaks the Open Inference Protocol (v2) REST API`);
      route = match.route;
      if (method !== match.method) {
        response.setHeader('allow', match.method);
        throw new HttpError(405, 'INPUT_INVALID', `${route} takes ${match.method}, not ${method}`);
      }
      if (closing !== undefined && route !== 'health_live' && route !== 'health_ready') throw new HttpError(503, 'DISPOSED', 'the server is shutting down');
      let answer: Answer;
      switch (match.route) {
        case 'health_live':
          answer = liveness();
          break;
        case 'health_ready':
          answer = readiness(ctx);
          break;
        case 'server_metadata':
          answer = serverMetadata(ctx);
          break;
        case 'model_metadata':
          answer = await modelMetadata(ctx, match.name!, match.version);
          break;
        case 'model_ready':
          answer = modelReady(ctx, match.name!, match.version);
          break;
        case 'model_config':
          answer = await modelConfig(ctx, match.name!, match.version);
          break;
        case 'model_stats':
          answer = modelStatistics(ctx, match.name, match.version);
          break;
        case 'metrics': {
          const { text, contentType } = await metrics.text();
          answer = { status: 200, body: Buffer.from(text), headers: { 'content-type': contentType } };
          break;
        }
        case 'infer': {
          // The whole body first: a client trickling its body holds no inference slot. Its binary tensors (after the JSON header) land aligned.
          const header = request.headers[HEADER_LENGTH];
          const bytes = await body(settings.maxBodyBytes, header);
          if (unread.held > settings.maxUnreadResponseBytes) {
            rejectedBusy++;
            throw new HttpError(503, 'QUEUE_FULL', `clients have not read ${unread.held} bytes of answers, past this server's limit (maxUnreadResponseBytes); retry later`);
          }
          if (inflight >= settings.maxInflight) {
            rejectedBusy++;
            throw new HttpError(503, 'QUEUE_FULL', `the server is handling ${inflight} inference requests, its limit (maxInflight); retry later`);
          }
          inflight++;
          metrics.inflight = inflight;
          peakInflight = Math.max(peakInflight, inflight);
          // Made when the route asks for the signal (a call that may wait in a queue), not for each request.
          let gone: AbortController | undefined;
          const onClose = (): void => {
            if (!response.writableFinished) (gone ??= new AbortController()).abort(new InprocError('ABORTED', 'the client closed the connection'));
          };
          response.on('close', onClose);
          try {
            answer = await infer(ctx, match.name!, match.version, {
              body: bytes,
              headerLength: Array.isArray(header) ? header[0] : header,
              get signal() {
                return (gone ??= new AbortController()).signal;
              },
            });
          } finally {
            inflight--;
            metrics.inflight = inflight;
          }
          break;
        }
        case 'repository_index':
          answer = repositoryIndex(ctx, await controlBody());
          break;
        case 'repository_load':
          checkControl(request, settings);
          answer = await loadModel(ctx, match.name!, await controlBody());
          break;
        case 'repository_unload':
          checkControl(request, settings);
          answer = await unloadModel(ctx, match.name!, await controlBody());
          break;
      }
      await send(request, response, route, answer, started);
    } catch (error) {
      const { status, body: errorBody } = errorAnswer(error, repo.root);
      if (status >= 500 && status !== 503) log?.(`${route} ${status}: ${error instanceof Error ? error.message : String(error)}`);
      if (response.destroyed || response.headersSent) return;
      // A body not read to its end (too large, no room, bad encoding): close the connection instead of reading it.
      if (!request.complete) response.setHeader('connection', 'close');
      if (status === 401) response.setHeader('www-authenticate', 'Bearer');
      await send(request, response, route, { status, json: errorBody }, started).catch(() => response.destroy());
    }
  };

  const http: Server = createServer(
    {
      maxHeaderSize: settings.maxHeaderBytes,
      requestTimeout: settings.requestTimeoutMs,
      headersTimeout: settings.headersTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // Node checks request and header timeouts on this interval (30 s by default): within a second.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, settings.headersTimeoutMs, settings.requestTimeoutMs)),
    },
    (request, response) => {
      const timer = awaitingFirstRequest.get(request.socket);
      if (timer !== undefined) {
        clearTimeout(timer);
        awaitingFirstRequest.delete(request.socket);
      }
      void handle(request, response);
    },
  );
  // Node's header timeout starts at a request's first byte: a connection that never sends
  // one would stay open for ever. Here it runs from the moment of connection.
  const awaitingFirstRequest = new Map<Socket, ReturnType<typeof setTimeout>>();
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing !== undefined) socket.destroy();
    const timer = setTimeout(() => {
      awaitingFirstRequest.delete(socket);
      silentClosed++;
      socket.destroy();
    }, settings.headersTimeoutMs);
    timer.unref();
    awaitingFirstRequest.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      awaitingFirstRequest.delete(socket);
    });
  });
  // A malformed request (bad HTTP, oversized headers) gets Node's 400/431 and only its own connection closes.
  http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = JSON.stringify({ error: `bad request: ${error.message}`, code: status === 431 ? 'LIMIT_EXCEEDED' : status === 408 ? 'TIMEOUT' : 'INPUT_INVALID' });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new InprocError(error.code === 'EADDRINUSE' ? 'LIMIT_EXCEEDED' : 'INPUT_INVALID', `cannot listen on ${settings.host}:${settings.port}: ${error.message}`, { cause: error }));
    };
    http.once('error', onError);
    http.listen(settings.port, settings.host, () => {
      http.off('error', onError);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log?.(`listening on ${url}`);

  const close = (): Promise<void> => {
    closing ??= (async () => {
      const accepted = active.size;
      log?.(`shutting down: finishing ${accepted} accepted request${accepted === 1 ? '' : 's'}`);
      // Not http.close(): it closes "idle" connections, and Node counts one whose answer is
      // still being written as idle once end() was called, cutting that answer. Listening
      // stops here; connections that are idle by our count (no request of theirs unanswered) close now.
      const closed = new Promise<void>((resolve) => netClose.call(http, () => resolve()));
      for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
      if (active.size > 0) {
        // Every accepted request (inference, load, metadata) is answered and its answer
        // written before its connection closes; requests that arrive meanwhile get 503.
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, settings.shutdownTimeoutMs).unref();
        });
      }
      cutAtShutdown = active.size;
      if (cutAtShutdown > 0) log?.(`shutdown deadline (shutdownTimeoutMs: ${settings.shutdownTimeoutMs} ms) passed: ${cutAtShutdown} request${cutAtShutdown === 1 ? '' : 's'} cut unanswered or half-written`);
      http.closeAllConnections();
      http.close(); // now only stops Node's timeout checks: listening stopped above
      await closed;
      if (owned) await repo.close();
      log?.('stopped');
    })();
    return closing;
  };

  return {
    url,
    host: address.address,
    port: address.port,
    repository: repo,
    stats: (): ServerStats => ({
      responses: { ...counts },
      inflight,
      peakInflight,
      rejectedBusy,
      bodyBytesHeld: bodies.held,
      peakBodyBytesHeld: bodies.peak,
      unreadResponseBytes: unread.held,
      silentConnectionsClosed: silentClosed,
      writeTimeouts,
      cutAtShutdown,
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Largest body of a repository extension request (index, load, unload). */
const CONTROL_BODY_BYTES = 64 << 10;

/** Answers of at least this size are compressed when the client's `Accept-Encoding` asks. */
const COMPRESS_FROM = 1024;

/** gzip or deflate when `Accept-Encoding` accepts one (gzip first), else undefined (identity). */
function acceptedEncoding(header: string | undefined): 'gzip' | 'deflate' | undefined {
  if (header === undefined) return undefined;
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(coding.trim(), q === undefined ? 1 : Number(q));
  }
  const ok = (coding: string): boolean => (accepted.get(coding) ?? (accepted.get('*') ?? 0)) > 0;
  return ok('gzip') ? 'gzip' : ok('deflate') ? 'deflate' : undefined;
}

/** Load and unload: only with explicit model control, and with the token when one is set. @throws HttpError 403, 401 */
function checkControl(request: IncomingMessage, settings: Settings): void {
  if (settings.modelControl !== 'explicit') {
    throw new HttpError(403, 'INPUT_INVALID', 'explicit model load / unload is not allowed: this server runs with model control "none" (start it with --model-control explicit, or serve(..., { modelControl: "explicit" }))');
  }
  if (settings.controlToken === undefined) return;
  const header = request.headers['authorization'] ?? '';
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '');
  const expected = Buffer.from(settings.controlToken);
  if (given.byteLength !== expected.byteLength || !nodeModule<typeof Crypto>('node:crypto').timingSafeEqual(given, expected)) {
    throw new HttpError(401, 'INPUT_INVALID', 'model load / unload needs the server\'s token: send "Authorization: Bearer <token>"');
  }
}

interface RouteMatch {
  readonly route: 'health_live' | 'health_ready' | 'server_metadata' | 'model_metadata' | 'model_ready' | 'model_stats' | 'model_config' | 'infer' | 'repository_index' | 'repository_load' | 'repository_unload' | 'metrics';
  readonly method: 'GET' | 'POST';
  readonly name?: string;
  readonly version?: string;
}

/** The path's segments, each URL-decoded (`%2F` stays inside its segment). @throws HttpError 400 on bad encoding */
function pathSegments(url: string): string[] {
  const path = url.split('?')[0]!;
  try {
    return path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'INPUT_INVALID', `the path ${JSON.stringify(path.slice(0, 200))} is not valid URL encoding`);
  }
}

function matchRoute(s: readonly string[]): RouteMatch | undefined {
  const n = s.length;
  if (n === 1 && s[0] === 'metrics') return { route: 'metrics', method: 'GET' };
  if (s[0] !== 'v2') return undefined;
  // `GET /v2/`, as the protocol's OpenAPI file spells it, is `GET /v2`.
  if (n === 1 || (n === 2 && s[1] === '')) return { route: 'server_metadata', method: 'GET' };
  // Triton's statistics of every model (a model named "stats" has its metadata at /v2/models/stats/versions/{v}).
  if (n === 3 && s[1] === 'models' && s[2] === 'stats') return { route: 'model_stats', method: 'GET' };
  if (n === 3 && s[1] === 'health' && s[2] === 'live') return { route: 'health_live', method: 'GET' };
  if (n === 3 && s[1] === 'health' && s[2] === 'ready') return { route: 'health_ready', method: 'GET' };
  if (n === 3 && s[1] === 'repository' && s[2] === 'index') return { route: 'repository_index', method: 'POST' };
  if (n === 5 && s[1] === 'repository' && s[2] === 'models' && (s[4] === 'load' || s[4] === 'unload')) return { route: s[4] === 'load' ? 'repository_load' : 'repository_unload', method: 'POST', name: s[3]! };
  if (s[1] !== 'models' || n < 3) return undefined;
  const name = s[2]!;
  let rest = s.slice(3);
  let version: string | undefined;
  if (rest[0] === 'versions' && rest.length >= 2) {
    version = rest[1]!;
    rest = rest.slice(2);
  }
  const at = { name, ...(version === undefined ? {} : { version }) };
  if (rest.length === 0) return { route: 'model_metadata', method: 'GET', ...at };
  if (rest.length === 1 && rest[0] === 'ready') return { route: 'model_ready', method: 'GET', ...at };
  if (rest.length === 1 && rest[0] === 'infer') return { route: 'infer', method: 'POST', ...at };
  if (rest.length === 1 && rest[0] === 'config') return { route: 'model_config', method: 'GET', ...at };
  if (rest.length === 1 && rest[0] === 'stats') return { route: 'model_stats', method: 'GET', ...at };
  return undefined;
}

function checkOptions(options: ServeOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'serve options must be an object');
  const known = [...Object.keys(DEFAULTS), 'preload', 'repository', 'log', 'modelControl', 'controlToken'];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new InprocError('INPUT_INVALID', `serve: unknown option "${key}"; known: ${known.join(', ')}`);
  const number = (key: keyof typeof DEFAULTS, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = (options as Record<string, unknown>)[key] ?? DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new InprocError('INPUT_INVALID', `serve: options.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return value;
  };
  const host = options.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host === '') throw new InprocError('INPUT_INVALID', `serve: options.host must be a host name or address, got ${JSON.stringify(host)}`);
  if (options.log !== undefined && typeof options.log !== 'function') throw new InprocError('INPUT_INVALID', 'serve: options.log must be a function');
  const modelControl = options.modelControl ?? 'none';
  if (modelControl !== 'none' && modelControl !== 'explicit') throw new InprocError('INPUT_INVALID', `serve: options.modelControl must be "none" or "explicit", got ${JSON.stringify(modelControl)}`);
  const controlToken = options.controlToken;
  if (controlToken !== undefined && (typeof controlToken !== 'string' || controlToken.length < 8 || /\s/.test(controlToken))) {
    throw new InprocError('INPUT_INVALID', 'serve: options.controlToken must be a string of at least 8 characters without spaces');
  }
  if (controlToken !== undefined && modelControl !== 'explicit') throw new InprocError('INPUT_INVALID', 'serve: options.controlToken guards load and unload, which need modelControl: "explicit"');
  return {
    modelControl,
    controlToken,
    host,
    port: number('port', 0, 65535),
    maxBodyBytes: number('maxBodyBytes', 1),
    maxHeaderBytes: number('maxHeaderBytes', 1024),
    requestTimeoutMs: number('requestTimeoutMs', 1),
    headersTimeoutMs: Math.min(number('headersTimeoutMs', 1), number('requestTimeoutMs', 1)),
    keepAliveTimeoutMs: number('keepAliveTimeoutMs', 1),
    maxInflight: number('maxInflight', 1),
    shutdownTimeoutMs: number('shutdownTimeoutMs', 0),
    maxBodiesBytes: number('maxBodiesBytes', 1),
    maxUnreadResponseBytes: number('maxUnreadResponseBytes', 0),
    writeTimeoutMs: number('writeTimeoutMs', 1),
  };
}
