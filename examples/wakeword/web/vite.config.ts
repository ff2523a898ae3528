// Vite config of the wake-word page. The ONNX files are served from the example's
// models/ folder (`npm run models` fills it from the pinned npm package) at the site's
// root. onnxruntime-web is excluded from dependency pre-bundling: pre-bundling moves its
// code to node_modules/.vite/deps, where the `new URL('ort-wasm-….wasm', import.meta.url)`
// it uses to find its .wasm file would point at nothing.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: fileURLToPath(new URL('../models', import.meta.url)),
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'esnext' },
});
