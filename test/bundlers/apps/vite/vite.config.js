// The README's Vite set-up: worker.format 'es' (inproc/worker uses top-level await).
// onnxruntime-web's .wasm is emitted by Vite itself (new URL(..., import.meta.url)).
export default {
  worker: { format: 'es' },
  build: { rollupOptions: { input: { index: 'index.html', worker: 'worker.html', raw: 'raw.html' } } },
};
