import { report, runVad } from '../shared/inproc-vad.js';

report(() => runVad(new URL('./silero_vad_v5.onnx', location.href).href));
