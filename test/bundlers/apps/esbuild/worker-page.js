import { configureIsolation } from 'inproc';
import { report, runVad } from '../shared/inproc-vad.js';

// inproc-worker.js is a second entry point of the build, emitted beside this file.
configureIsolation({ createWorker: () => new Worker(new URL('./inproc-worker.js', import.meta.url), { type: 'module' }) });
// The worker starts its own onnxruntime-web: it is told where the files are with the load.
report(() => runVad(new URL('./silero_vad_v5.onnx', location.href).href, { isolation: 'worker', workers: 1, backendOptions: { wasmPaths: '/ort/' } }));
