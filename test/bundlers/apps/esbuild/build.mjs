// The README's esbuild set-up: format 'esm' (the default iife cannot tell onnxruntime-web
// its script URL), the worker as a second entry point, and the two onnxruntime-web files
// its code loads at run time copied into dist/ort/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

await esbuild.build({
  entryPoints: ['main.js', 'worker-page.js', 'inproc-worker.js', 'raw.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  outdir: 'dist',
});
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
mkdirSync('dist/ort', { recursive: true });
for (const file of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) copyFileSync(join(ortDist, file), join('dist/ort', file));
