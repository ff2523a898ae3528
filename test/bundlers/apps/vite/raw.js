import { report, runRawVad } from '../shared/raw-vad.js';

report(() => runRawVad(new URL('./silero_vad_v5.onnx', location.href).href));
