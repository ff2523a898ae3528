/**
 * `serve()`: the Open Inference Protocol over an Inproc repository, on `node:http`.
 *
 * Why node:http and not a framework: the API is a dozen fixed routes, and what matters
 * is at the HTTP layer — body and header size limits, request and header timeouts,
 * keep-alive, and a graceful shutdown that finishes accepted requests — all of which
 * node:http provides (`maxHeaderSize`, `requestTimeout`, `headersTimeout`,
 * `closeIdleConnections`). Binary tensor bodies must be read raw; a framework's body
 * parsing would be bypassed anyway. Metrics use prom-client (Prometheus text format).
 * @module
 */
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InprocError, type Repository, openRepository, registerPromClient } from '@inproc/core';
import { HEADER_LENGTH, type ServerMetadata } from '@inproc/kserve';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readBody } from './body.js';
import { HttpError, errorAnswer } from './http-errors.js';
import { type Answer, type RouteContext, infer, liveness, loadModel, modelMetadata, modelReady, readiness, repositoryIndex, serverMetadata, unloadModel } from './routes.js';
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
};

/** Extensions this server implements, as Triton names them in its server metadata. */
const EXTENSIONS = ['binary_tensor_data', 'model_repository'];

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

type Settings = typeof DEFAULTS;

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

async function start(repo: Repository, owned: boolean, settings: Settings, log: ServeOptions['log']): Promise<InprocServer> {
  const registry = new Registry();
  registerPromClient(registry);
  const responses = new Counter({ name: 'inproc_server_responses_total', help: 'HTTP responses, by route and status.', labelNames: ['route', 'status'], registers: [registry] });
  const duration = new Histogram({ name: 'inproc_server_request_duration_seconds', help: 'Time from a request to its response, by route.', labelNames: ['route'], registers: [registry], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
  const inflightGauge = new Gauge({ name: 'inproc_server_inflight_requests', help: 'Inference requests being handled.', registers: [registry] });

  const counts: Record<string, number> = {};
  let inflight = 0;
  let peakInflight = 0;
  let rejectedBusy = 0;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;
  const server: ServerMetadata = { name: 'inproc', version: VERSION, extensions: EXTENSIONS };
  const ctx: RouteContext = { repository: repo, server, unloaded: new Set(), closing: () => closing !== undefined };

  const send = (response: ServerResponse, route: string, answer: Answer, started: number): void => {
    if (closing !== undefined) response.setHeader('connection', 'close');
    if ('json' in answer) {
      const text = JSON.stringify(answer.json);
      response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    } else {
      response.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.byteLength });
      response.end(answer.body);
    }
    const key = `${route} ${answer.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
    responses.inc({ route, status: String(answer.status) });
    duration.observe({ route }, (performance.now() - started) / 1000);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    let route = 'unknown';
    try {
      const { method = 'GET' } = request;
      const segments = pathSegments(request.url ?? '/');
      const match = matchRoute(segments);
      if (match === undefined) throw new HttpError(404, 'INPUT_INVALID', `no endpoint ${method} ${request.url ?? ''}; this server speaks the Open Inference Protocol (v2) REST API`);
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
        case 'metrics': {
          const text = await registry.metrics();
          answer = { status: 200, body: Buffer.from(text), headers: { 'content-type': registry.contentType } };
          break;
        }
        case 'infer': {
          if (inflight >= settings.maxInflight) {
            rejectedBusy++;
            throw new HttpError(503, 'QUEUE_FULL', `the server is handling ${inflight} inference requests, its limit (maxInflight); retry later`);
          }
          inflight++;
          inflightGauge.set(inflight);
          peakInflight = Math.max(peakInflight, inflight);
          const gone = new AbortController();
          const onClose = (): void => {
            if (!response.writableFinished) gone.abort(new InprocError('ABORTED', 'the client closed the connection'));
          };
          response.on('close', onClose);
          try {
            const body = await readBody(request, settings.maxBodyBytes);
            const header = request.headers[HEADER_LENGTH];
            answer = await infer(ctx, match.name!, match.version, { body, headerLength: Array.isArray(header) ? header[0] : header, signal: gone.signal });
          } finally {
            inflight--;
            inflightGauge.set(inflight);
            if (inflight === 0) drained?.();
          }
          break;
        }
        case 'repository_index':
          answer = repositoryIndex(ctx, await readBody(request, settings.maxBodyBytes));
          break;
        case 'repository_load':
          answer = await loadModel(ctx, match.name!, await readBody(request, settings.maxBodyBytes));
          break;
        case 'repository_unload':
          answer = unloadModel(ctx, match.name!, await readBody(request, settings.maxBodyBytes));
          break;
      }
      if (!response.destroyed) send(response, route, answer, started);
    } catch (error) {
      const { status, body } = errorAnswer(error);
      if (response.destroyed || response.headersSent) return;
      // A body past the limit is not read to its end: close the connection instead.
      if (status === 413) response.setHeader('connection', 'close');
      send(response, route, { status, json: body }, started);
    }
  };

  const http: Server = createServer(
    { maxHeaderSize: settings.maxHeaderBytes, requestTimeout: settings.requestTimeoutMs, headersTimeout: settings.headersTimeoutMs, keepAliveTimeout: settings.keepAliveTimeoutMs },
    (request, response) => void handle(request, response),
  );
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
      log?.('shutting down: finishing accepted requests');
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, settings.shutdownTimeoutMs).unref();
        });
      }
      http.closeAllConnections();
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
    stats: (): ServerStats => ({ responses: { ...counts }, inflight, peakInflight, rejectedBusy }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface RouteMatch {
  readonly route: 'health_live' | 'health_ready' | 'server_metadata' | 'model_metadata' | 'model_ready' | 'infer' | 'repository_index' | 'repository_load' | 'repository_unload' | 'metrics';
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
  if (n === 1) return { route: 'server_metadata', method: 'GET' };
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
  return undefined;
}

function checkOptions(options: ServeOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'serve options must be an object');
  const known = [...Object.keys(DEFAULTS), 'preload', 'repository', 'log'];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new InprocError('INPUT_INVALID', `serve: unknown option "${key}"; known: ${known.join(', ')}`);
  const number = (key: keyof Settings, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = (options as Record<string, unknown>)[key] ?? DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new InprocError('INPUT_INVALID', `serve: options.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return value;
  };
  const host = options.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host === '') throw new InprocError('INPUT_INVALID', `serve: options.host must be a host name or address, got ${JSON.stringify(host)}`);
  if (options.log !== undefined && typeof options.log !== 'function') throw new InprocError('INPUT_INVALID', 'serve: options.log must be a function');
  return {
    host,
    port: number('port', 0, 65535),
    maxBodyBytes: number('maxBodyBytes', 1),
    maxHeaderBytes: number('maxHeaderBytes', 1024),
    requestTimeoutMs: number('requestTimeoutMs', 1),
    headersTimeoutMs: Math.min(number('headersTimeoutMs', 1), number('requestTimeoutMs', 1)),
    keepAliveTimeoutMs: number('keepAliveTimeoutMs', 1),
    maxInflight: number('maxInflight', 1),
    shutdownTimeoutMs: number('shutdownTimeoutMs', 0),
  };
}
