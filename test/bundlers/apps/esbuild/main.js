import { configureOnnxWeb } from 'inproc';
import { report, runVad } from '../shared/inproc-vad.js';

// The build copies onnxruntime-web's .jsep.wasm and .jsep.mjs into dist/ort/.
configureOnnxWeb({ wasmPaths: '/ort/' });
report(() => runVad(new URL('./silero_vad_v5.onnx', location.href).href));
