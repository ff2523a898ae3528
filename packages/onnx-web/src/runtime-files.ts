/**
 * Why onnxruntime-web's WASM runtime did not start, told the way a front-end developer
 * can act on: which URL of its `.wasm` or `.mjs` the page asked for, what the server
 * answered (404, an HTML page where a module or WebAssembly was expected), and the fix.
 * onnxruntime-web's own message ("both async and sync fetching of the wasm failed",
 * "no available backend found") names neither the file nor the URL.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';
import { firstLine } from '@inproc/core/backend';
import { isBrowserLike } from './environment.js';

/** The runtime files of the build bundlers resolve (`onnxruntime-web`'s browser export: WebGPU/JSEP). */
export const RUNTIME_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'] as const;

const FIX =
  `serve both ${RUNTIME_FILES.join(' and ')} from node_modules/onnxruntime-web/dist/ (as files, with their MIME types: application/wasm, text/javascript), ` +
  "and point onnxruntime-web at their folder with configureOnnxWeb({ wasmPaths: '/ort/' }) (or backendOptions.wasmPaths); " +
  'the README section "Browsers and Electron" gives the steps for each bundler';

/** ORT failed to start its WASM runtime (its .wasm or .mjs could not be fetched or compiled), not to parse the model. */
export function isRuntimeFailure(error: unknown): boolean {
  return /no available backend found|failed to (asynchronously prepare|load) wasm|Failed to fetch dynamically imported module|wasm streaming compile failed|both async and sync fetching of the wasm failed|expected magic word|Importing a module script failed|is not a valid JavaScript MIME type/i.test(
    error instanceof Error ? error.message : String(error),
  );
}

/** The URLs the page asked for (or would ask for) the runtime files at; at most four. */
function candidateUrls(error: unknown, wasmPaths: unknown): string[] {
  const urls = new Set<string>();
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const add = (url: string | undefined): void => {
    if (url === undefined || url === '') return;
    try {
      urls.add(new URL(url, base).href);
    } catch {
      // not a URL: nothing to ask for
    }
  };
  const text = error instanceof Error ? `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}` : String(error);
  for (const m of text.matchAll(/(?:https?|blob|file):\/\/[^\s'"`)]+?\.(?:wasm|mjs)\b/g)) add(m[0]);
  if (typeof wasmPaths === 'string') for (const file of RUNTIME_FILES) add(wasmPaths + file);
  else if (typeof wasmPaths === 'object' && wasmPaths !== null) {
    const paths = wasmPaths as { wasm?: unknown; mjs?: unknown };
    if (typeof paths.wasm === 'string') add(paths.wasm);
    if (typeof paths.mjs === 'string') add(paths.mjs);
  }
  // What the page really fetched: onnxruntime-web's default locations (new URL(..., import.meta.url)).
  const performance = (globalThis as { performance?: { getEntriesByType?(type: string): readonly { name: string }[] } }).performance;
  for (const entry of performance?.getEntriesByType?.('resource') ?? []) if (/ort-wasm[^/?#]*\.(?:wasm|mjs)(?:[?#]|$)/.test(entry.name)) add(entry.name);
  return [...urls].slice(0, 4);
}

/** What the server says about one runtime file, or `undefined` when it is served right. */
async function problemWith(url: string): Promise<string | undefined> {
  let response: { ok: boolean; status: number; headers: { get(name: string): string | null }; body?: { cancel(): Promise<void> } | null };
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (error) {
    return `GET ${url} failed: ${firstLine(error)}`;
  }
  void response.body?.cancel().catch(() => undefined);
  if (!response.ok) return `GET ${url} answered HTTP ${response.status}`;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const html = type === 'text/html' ? ' (an HTML page: a 404 page, or a single-page app answering every path with index.html?)' : '';
  if (url.endsWith('.mjs') && !/javascript|ecmascript/.test(type)) return `GET ${url} answered "${type || 'no content-type'}"${html}, which a browser does not run as a module`;
  if (url.endsWith('.wasm') && type !== 'application/wasm') return `GET ${url} answered "${type || 'no content-type'}"${html}, not application/wasm`;
  return undefined;
}

/**
 * `BACKEND_UNAVAILABLE` for a runtime that did not start, naming the URLs tried and what
 * they answered (in a browser), and the fix. @internal
 */
export async function runtimeUnavailable(error: unknown, wasmPaths: unknown): Promise<InprocError> {
  let found = '';
  if (/cannot determine the script source URL/i.test(String(error instanceof Error ? error.message : error))) {
    // onnxruntime-web finds its files beside its own script (import.meta.url), which a classic script has not.
    found = ': the bundle is not an ES module (esbuild builds iife by default), so onnxruntime-web cannot tell where its files are; build with format "esm", or set wasmPaths';
  } else if (isBrowserLike()) {
    const urls = candidateUrls(error, wasmPaths);
    const problems = (await Promise.all(urls.map(problemWith))).filter((p) => p !== undefined);
    found =
      problems.length > 0
        ? `: ${problems.join('; ')}`
        : urls.length > 0
          ? ` (tried ${urls.join(', ')}, which ${urls.length === 1 ? 'answers' : 'answer'} now)`
          : ' (no request for its files was seen)';
  }
  return new InprocError('BACKEND_UNAVAILABLE', `onnx-web: the onnxruntime-web WASM runtime could not be started (${firstLine(error)})${found}. To fix it, ${FIX}`, { cause: error });
}
