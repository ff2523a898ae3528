// Vite config for the example. onnxruntime-web is excluded from dependency
// pre-bundling: pre-bundling moves its code to node_modules/.vite/deps, where the
// `new URL('ort-wasm-….wasm', import.meta.url)` it uses to find its .wasm file would
// point at nothing. `vite build` copies the .wasm into dist/assets by itself.
import { defineConfig } from 'vite';

export default defineConfig({
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'esnext' },
});
