'use client';
// A client component running Silero VAD through inproc and onnxruntime-web in the page.
import { useEffect } from 'react';
import { report, runVad } from '../../../shared/inproc-vad.js';

export default function Vad() {
  useEffect(() => report(() => runVad(new URL('/silero_vad_v5.onnx', location.href).href)), []);
  return <p>Silero VAD with inproc</p>;
}
