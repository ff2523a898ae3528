// The README's Rollup set-up: node-resolve with the browser condition, terser, and the
// two onnxruntime-web files its code loads at run time copied into dist/ort/.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import copy from 'rollup-plugin-copy';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));

export default {
  input: { main: 'main.js', 'worker-page': 'worker-page.js', 'inproc-worker': 'inproc-worker.js', raw: 'raw.js' },
  output: { dir: 'dist', format: 'es' },
  plugins: [
    nodeResolve({ browser: true }),
    terser(),
    copy({ targets: [{ src: [`${ortDist}/ort-wasm-simd-threaded.jsep.wasm`, `${ortDist}/ort-wasm-simd-threaded.jsep.mjs`], dest: 'dist/ort' }] }),
  ],
};
