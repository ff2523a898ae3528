/**
 * The example page: runs Silero VAD over a speech recording on the device chosen
 * (`?device=webgpu|wasm|auto`, default auto) and shows the device used, the latency
 * per run and the speech segments, with a plot of the speech probability.
 */
import { InprocError } from 'inproc';
import modelUrl from '@ricky0123/vad-web/dist/silero_vad_v5.onnx?url';
import speechUrl from '../../vad/samples/speech.wav?url';
import { SAMPLE_RATE, decodeAudio, runVad, type VadRun } from './vad.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const choose = $('choose') as HTMLSelectElement;

async function main(device: string): Promise<void> {
  document.body.dataset['state'] = 'running';
  $('state').textContent = `loading the model on ${device}…`;
  $('error').textContent = '';
  try {
    const audio = await decodeAudio(await (await fetch(speechUrl)).arrayBuffer());
    $('audio').textContent = `speech.wav, ${(audio.length / SAMPLE_RATE).toFixed(2)} s at 16 kHz`;
    const run = await runVad(modelUrl, audio, device);
    show(run);
    $('state').textContent = 'done';
    document.body.dataset['state'] = 'done';
  } catch (error) {
    $('state').textContent = 'failed';
    $('error').textContent = InprocError.is(error) ? `${error.code}: ${error.message}` : String(error);
    document.body.dataset['state'] = 'failed';
  }
}

function show(run: VadRun): void {
  $('device').textContent = run.device;
  $('backend').textContent = `(backend ${run.backend})`;
  $('load').textContent = `${run.loadMs.toFixed(0)} ms`;
  $('latency').textContent = `${run.msPerRun.toFixed(2)} ms per 32 ms chunk (${run.probabilities.length} runs)`;
  $('result').textContent = run.segments.length === 0 ? 'no speech' : run.segments.map((s) => `${s.start.toFixed(2)}–${s.end.toFixed(2)} s`).join(', ');
  const canvas = $('plot') as HTMLCanvasElement;
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#cfe3ff';
  const dx = canvas.width / Math.max(1, run.probabilities.length);
  for (const s of run.segments) g.fillRect((s.start * SAMPLE_RATE) / 512 * dx, 0, ((s.end - s.start) * SAMPLE_RATE) / 512 * dx, canvas.height);
  g.strokeStyle = '#1f5fbf';
  g.beginPath();
  run.probabilities.forEach((p, i) => (i === 0 ? g.moveTo(0, canvas.height * (1 - p)) : g.lineTo(i * dx, canvas.height * (1 - p))));
  g.stroke();
}

const device = new URLSearchParams(location.search).get('device') ?? 'auto';
choose.value = device;
$('run').addEventListener('click', () => void main(choose.value));
void main(device);
