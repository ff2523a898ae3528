'use client';
// The same work with onnxruntime-web alone (the bundle-size baseline).
import { useEffect } from 'react';
import { report, runRawVad } from '../../../shared/raw-vad.js';

export default function Raw() {
  useEffect(() => report(() => runRawVad(new URL('/silero_vad_v5.onnx', location.href).href)), []);
  return <p>Silero VAD with onnxruntime-web</p>;
}
