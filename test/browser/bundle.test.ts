/**
 * Bundle check: a minimal app importing `inproc`, built with Vite for the browser, must
 * carry onnx-web and nothing Node-only (fs, path, worker_threads, onnxruntime-node,
 * sharp, any `node:` module), and must not make Vite shim a Node built-in. Its size (JS
 * and WASM apart) is printed. Needs no browser: it runs wherever the build runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltPage, RESULTS_DIR, buildPage } from '@inproc/testkit/browser/harness';

/** Strings that only appear when a Node-only module (or its loader) made it into the bundle. */
const NODE_ONLY = [
  /\bfrom\s*["'`]node:/, // a static import of a node: module
  /\bfrom\s*["'](fs|fs\/promises|path|url|module|os|child_process|worker_threads|crypto)["']/,
  /\brequire\(\s*["'](fs|fs\/promises|path|module|os|child_process|worker_threads|onnxruntime-node|sharp)["']\s*\)/,
  /onnxruntime_binding\.node/, // onnxruntime-node's native binding
  /onnxruntime-node/,
  /\bsharp\b.*\blibvips\b/,
  /__vite-browser-external/, // Vite's stub for a Node built-in that something imported
];

describe('browser bundle of a minimal inproc app', () => {
  let built: BuiltPage;
  const warnings: string[] = [];

  beforeAll(async () => {
    const logger = createLogger('warn');
    const warn = logger.warn.bind(logger);
    logger.warn = (message, options) => {
      warnings.push(message);
      warn(message, options);
    };
    built = await buildPage({
      entry: fileURLToPath(new URL('./pages/bundle-app.ts', import.meta.url)),
      outDir: join(RESULTS_DIR, 'browser-builds', 'bundle-app'),
      vite: { customLogger: logger },
    });
  }, 180_000);

  it('contains no Node-only module', async () => {
    const js = [...built.files.keys()].filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const file of js) {
      const text = await readFile(join(built.dir, file), 'utf8');
      for (const pattern of NODE_ONLY) expect(pattern.test(text), `${file} matches ${pattern}`).toBe(false);
    }
    expect(warnings.filter((w) => /externalized for browser compatibility|node built-?in/i.test(w))).toEqual([]);
  });

  it('names a node: module only on paths that never run in a browser', async () => {
    const mentions: string[] = [];
    for (const file of [...built.files.keys()].filter((f) => f.endsWith('.js'))) {
      const text = await readFile(join(built.dir, file), 'utf8');
      for (const m of text.matchAll(/["'`]node:[a-z_/]+["'`]/g)) mentions.push(`${file.replace(/-[\w-]+\.js$/, '.js')}: ${text.slice(Math.max(0, m.index - 60), m.index + m[0].length + 1)}`);
    }
    const allowed = [
      // onnxruntime-web's own browser build counts CPUs with os.cpus() only when `navigator` is undefined.
      /^assets\/ort\.bundle\.min\.js: .*typeof navigator>`u`\?\w+\(`node:os`\)$/,
      // core's worker pool (isolation: 'worker'), which loadModel refuses outside Node before reaching it. The
      // minifier folds core's `node:${'worker_threads'}` into a literal; the module is not bundled.
      /^page\.js: .*import\(`node:worker_threads`\)$/,
    ];
    expect(mentions.filter((m) => !allowed.some((a) => a.test(m)))).toEqual([]);
  });

  it('carries onnx-web and its .wasm from the package, next to the JS', async () => {
    const wasm = [...built.files.keys()].filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    expect(wasm[0]).toMatch(/^assets\/ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/);
    const all = await Promise.all([...built.files.keys()].filter((f) => f.endsWith('.js')).map((f) => readFile(join(built.dir, f), 'utf8')));
    expect(all.some((t) => t.includes('onnx-web'))).toBe(true);
    // The .wasm is referenced relative to the module that loads it, not from another host.
    expect(all.some((t) => t.includes(wasm[0]!.slice('assets/'.length)))).toBe(true);
    console.log(
      `[bundle size] minimal inproc app (Vite ${(await import('vite')).version}, production): JS ${kib(built.jsBytes)} in ${all.length} file(s), WASM ${kib(built.wasmBytes)}\n  ${[...built.files].map(([f, n]) => `${f}: ${kib(n)}`).join('\n  ')}`,
    );
  });
});

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
