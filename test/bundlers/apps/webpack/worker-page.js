import { configureIsolation } from 'inproc';
import { report, runVad } from '../shared/inproc-vad.js';

// Vite bundles the worker file it sees in new Worker(new URL(...)); vite.config.js sets worker.format 'es'.
configureIsolation({ createWorker: () => new Worker(new URL('./inproc-worker.js', import.meta.url), { type: 'module' }) });
report(() => runVad(new URL('./silero_vad_v5.onnx', location.href).href, { isolation: 'worker', workers: 1 }));
