/** Renderer entry: runs the demo and shows the device used and the comparison with the main process. */
import { InprocError } from 'inproc';
import modelUrl from '@ricky0123/vad-web/dist/silero_vad_v5.onnx?url';
import type { MainProcessApi } from '../shared/api.js';
import { runRendererDemo, testSignal } from './demo.js';

const main = (window as unknown as { inprocMain?: MainProcessApi }).inprocMain;
const $ = (id: string): HTMLElement => document.getElementById(id)!;

try {
  const result = await runRendererDemo(modelUrl, testSignal(2), main);
  $('device').textContent = `${result.device} (${result.backend})`;
  $('latency').textContent = `${result.msPerRun.toFixed(2)} ms`;
  $('diff').textContent = result.maxDiffFromMain === undefined ? 'no main process (not running in Electron)' : result.maxDiffFromMain.toExponential(2);
} catch (error) {
  $('error').textContent = InprocError.is(error) ? `${error.code}: ${error.message}` : String(error);
}
