// The README's webpack 5 set-up: nothing special. webpack emits onnxruntime-web's .wasm
// (new URL(..., import.meta.url)) and the worker file (new Worker(new URL(...))) itself.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: { main: './main.js', 'worker-page': './worker-page.js', raw: './raw.js' },
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), filename: '[name].js', clean: true },
};
