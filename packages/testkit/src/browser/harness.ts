/**
 * Reusable harness for real-browser tests (Node side): build a page entry with Vite,
 * serve it from http://localhost on an ephemeral port (a secure context, so WebGPU is
 * exposed), drive Debian's Chromium with playwright-core (never a downloaded browser),
 * call functions the page exposed with `exposeToHarness()` (see page-api.ts), collect
 * console errors, and close everything. Used by the onnx-web and TensorFlow.js tests.
 *
 * ```ts
 * describeInChromium('my backend in Chromium', { timeout: 120_000 }, () => {
 *   let env: BrowserTestEnv;
 *   beforeAll(async () => { env = await openBrowserTest({ entry: fileURLToPath(new URL('./pages/my.page.ts', import.meta.url)) }); });
 *   afterAll(() => env?.close());
 *   it('runs', async () => { expect(await env.page.call('run', 'wasm')).toBe(true); });
 * });
 * ```
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { type InlineConfig, build, mergeConfig } from 'vite';

/** Debian's Chromium (`apt-get install -y chromium`). Playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for headless Chromium with WebGPU on SwiftShader (the software adapter) and
 * nothing that reaches the network on its own.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * An init script that dresses Chromium's SwiftShader adapter up as a hardware GPU (the
 * `GPUAdapterInfo` a machine with one reports), so that pages take the path they take
 * on a real GPU (`device: 'auto'` choosing WebGPU) while still running on SwiftShader.
 */
export const PRETEND_HARDWARE_ADAPTER = `for (const [key, value] of Object.entries({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false })) Object.defineProperty(GPUAdapterInfo.prototype, key, { configurable: true, get: () => value });`;

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where browser tests put builds and screenshots (git-ignored). */
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');

/** Why browser tests cannot run here, or `undefined` when Chromium is installed. */
export function chromiumSkipReason(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is missing: install it with "apt-get install -y chromium" (.ci/run does) to run the browser tests`;
}


/** Options of {@link buildPage}. */
export interface BuildPageOptions {
  /** Absolute path of the page's entry module (TypeScript is fine). */
  readonly entry: string;
  /** Output folder; default `test-results/browser-builds/<entry name>`. */
  readonly outDir?: string;
  /** HTML title of the generated page. */
  readonly title?: string;
  /** Extra Vite config merged over the defaults. */
  readonly vite?: InlineConfig;
}

/** A built page: its folder and the sizes of what it ships. */
export interface BuiltPage {
  readonly dir: string;
  /** Every emitted file, relative to `dir`, with its size in bytes. */
  readonly files: ReadonlyMap<string, number>;
  /** Total bytes of `.js` files. */
  readonly jsBytes: number;
  /** Total bytes of `.wasm` files. */
  readonly wasmBytes: number;
}

/**
 * Builds `entry` with Vite (production mode, browser conditions) into a folder with an
 * `index.html` that loads it, as an application would ship it.
 */
export async function buildPage(options: BuildPageOptions): Promise<BuiltPage> {
  const name = options.entry.split(sep).at(-1)!.replace(/\.[cm]?[jt]s$/, '');
  const outDir = options.outDir ?? join(RESULTS_DIR, 'browser-builds', name);
  const defaults: InlineConfig = {
    configFile: false,
    root: REPO_ROOT,
    logLevel: 'warn',
    mode: 'production',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'esnext',
      minify: true,
      reportCompressedSize: false,
      modulePreload: false,
      rolldownOptions: { input: { page: options.entry }, output: { entryFileNames: '[name].js' } },
    },
  };
  await build(options.vite === undefined ? defaults : mergeConfig(defaults, options.vite));
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${options.title ?? name}</title></head><body><script type="module" src="./page.js"></script></body></html>`;
  await writeFile(join(outDir, 'index.html'), html);
  const files = new Map<string, number>();
  for (const file of await listFiles(outDir)) files.set(relative(outDir, file).split(sep).join('/'), (await stat(file)).size);
  const sum = (ext: string): number => [...files].filter(([f]) => f.endsWith(ext)).reduce((n, [, size]) => n + size, 0);
  return { dir: outDir, files, jsBytes: sum('.js'), wasmBytes: sum('.wasm') };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

/** A request handler for one path of the test server. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** A tiny static HTTP server for a built page. */
export interface StaticServer {
  /** `http://localhost:<port>/`: localhost is a secure context, which WebGPU requires. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.map': 'application/json',
  // application/wasm lets the browser compile while downloading (instantiateStreaming).
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` (GET only, no directory listing, no path outside `root`) plus `routes`,
 * which take precedence, on 127.0.0.1 and an ephemeral port.
 */
export async function serveStatic(root: string, options: { routes?: Readonly<Record<string, RouteHandler>>; headers?: Readonly<Record<string, string>> } = {}): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
        for (const [name, value] of Object.entries(options.headers ?? {})) response.setHeader(name, value);
        const route = options.routes?.[path];
        if (route !== undefined) return await route(request, response);
        const file = resolve(base, `.${path.endsWith('/') ? `${path}index.html` : path}`);
        if (request.method !== 'GET' || (file !== base && !file.startsWith(base + sep))) return send(response, 404, 'not found');
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile() !== true) return send(response, 404, 'not found');
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-store' });
        response.end(await readFile(file));
      } catch (error) {
        if (!response.headersSent) send(response, 500, String(error));
        else response.destroy();
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(body);
}

/** Launches Debian's Chromium headless with {@link CHROMIUM_ARGS}. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const reason = chromiumSkipReason();
  if (reason !== undefined) throw new Error(reason);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/** Options of {@link openPage}. */
export interface OpenPageOptions {
  /** Runs in the page before any of its scripts (e.g. to hide the WebGPU adapter). */
  readonly initScript?: string;
  /** How long to wait for the page to call `exposeToHarness()`; default 60 s. */
  readonly readyTimeoutMs?: number;
}

/** A page of the test, with its console errors and a way to call what it exposed. */
export interface HarnessPage {
  readonly page: Page;
  /** `console.error` messages and uncaught errors of the page, in order. */
  readonly errors: readonly string[];
  /** Calls `name` of the object the page passed to `exposeToHarness()`; arguments and result must be JSON-like. */
  call<T = unknown>(name: string, ...args: readonly unknown[]): Promise<T>;
  close(): Promise<void>;
}

/** Opens `url` in a fresh browser context and waits until the page called `exposeToHarness()`. */
export async function openPage(browser: Browser, url: string, options: OpenPageOptions = {}): Promise<HarnessPage> {
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  if (options.initScript !== undefined) await page.addInitScript(options.initScript);
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { __inprocHarness?: unknown }).__inprocHarness !== undefined, undefined, { timeout: options.readyTimeoutMs ?? 60_000 });
  return {
    page,
    errors,
    call: async <T>(name: string, ...args: readonly unknown[]): Promise<T> => {
      const outcome = await page.evaluate(
        async ([fn, list]) => {
          const api = (globalThis as unknown as { __inprocHarness: Record<string, (...a: unknown[]) => unknown> }).__inprocHarness;
          const f = api[fn];
          if (typeof f !== 'function') return { ok: false as const, error: `the page exposes no function "${fn}"` };
          try {
            return { ok: true as const, value: await f(...list) };
          } catch (error) {
            const e = error as { name?: string; message?: string; code?: string; stack?: string };
            return { ok: false as const, error: `${e.name ?? 'Error'}${e.code === undefined ? '' : ` [${e.code}]`}: ${e.message ?? String(error)}\n${e.stack ?? ''}` };
          }
        },
        [name, args] as const,
      );
      if (!outcome.ok) throw new Error(`in the page, ${name}() failed: ${outcome.error}`);
      return outcome.value as T;
    },
    close: () => context.close(),
  };
}

/** Everything a browser test holds: browser, server, page. */
export interface BrowserTestEnv {
  readonly browser: Browser;
  readonly server: StaticServer;
  readonly built: BuiltPage;
  readonly page: HarnessPage;
  /** Opens another page of the same build (e.g. with an init script). */
  openPage(options?: OpenPageOptions): Promise<HarnessPage>;
  close(): Promise<void>;
}

/** Builds, serves and opens a page in one go; `close()` releases everything, in reverse order. */
export async function openBrowserTest(options: BuildPageOptions & { routes?: Readonly<Record<string, RouteHandler>>; page?: OpenPageOptions }): Promise<BrowserTestEnv> {
  const built = await buildPage(options);
  await mkdir(built.dir, { recursive: true });
  const server = await serveStatic(built.dir, options.routes === undefined ? {} : { routes: options.routes });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await openPage(browser, server.url, options.page);
    const b = browser;
    return {
      browser: b,
      server,
      built,
      page,
      openPage: (o) => openPage(b, server.url, o),
      close: async () => {
        await page.close().catch(() => undefined);
        await b.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}

/** A route serving fixed bytes (e.g. a model generated in the test). */
export function bytesRoute(bytes: Uint8Array, contentType = 'application/octet-stream'): RouteHandler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.byteLength });
    response.end(bytes);
  };
}
