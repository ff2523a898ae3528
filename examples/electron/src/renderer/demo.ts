/**
 * The renderer's work, kept apart from the DOM so that it is tested in Chromium: load
 * Silero VAD with `inproc` (bundled for the browser: onnx-web, WebGPU when the adapter
 * and device can be obtained, else WASM), run it over audio, and compare with the main
 * process's onnxruntime-node result when the preload script offers it.
 */
import { loadModel } from 'inproc';
import type { MainProcessApi } from '../shared/api.js';
import { vadProbabilities } from '../shared/vad.js';

export interface RendererResult {
  readonly device: string;
  readonly backend: string;
  readonly probabilities: readonly number[];
  readonly msPerRun: number;
  /** Largest absolute difference from the main process; undefined without a main process. */
  readonly maxDiffFromMain: number | undefined;
}

export async function runRendererDemo(modelUrl: string, samples: Float32Array, main: MainProcessApi | undefined): Promise<RendererResult> {
  await using model = await loadModel(modelUrl, { device: 'auto' });
  const t0 = performance.now();
  const probabilities = await vadProbabilities(model, samples);
  const msPerRun = (performance.now() - t0) / Math.max(1, probabilities.length);
  let maxDiffFromMain: number | undefined;
  if (main !== undefined) {
    const other = await main.vadProbabilities(samples);
    maxDiffFromMain = Math.max(0, ...other.map((p, i) => Math.abs(p - (probabilities[i] ?? Number.NaN))));
  }
  return { device: model.device, backend: model.backend, probabilities, msPerRun, maxDiffFromMain };
}

/** A second of a 16 kHz test signal: a voiced-like harmonic tone with a slow envelope. */
export function testSignal(seconds = 1): Float32Array {
  return Float32Array.from({ length: 16000 * seconds }, (_, i) => {
    const t = i / 16000;
    const envelope = 0.5 - 0.5 * Math.cos(2 * Math.PI * 2 * t);
    return envelope * (0.3 * Math.sin(2 * Math.PI * 150 * t) + 0.15 * Math.sin(2 * Math.PI * 300 * t) + 0.08 * Math.sin(2 * Math.PI * 450 * t));
  });
}
