// Builds the renderer (src/renderer) into dist/renderer with the browser export
// conditions, so `inproc` brings onnx-web (WebGPU/WASM) and nothing of Node. Relative
// base: the files are served from app://renderer/ by the main process.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/renderer',
  base: './',
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { outDir: '../../dist/renderer', emptyOutDir: true, target: 'esnext' },
});
