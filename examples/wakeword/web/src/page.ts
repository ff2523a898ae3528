/**
 * The wake-word page: the microphone (getUserMedia) → an AudioContext at 16 kHz →
 * the capture AudioWorklet (80 ms chunks) → the same streaming graph as in Node
 * (detector.ts, on onnxruntime-web) → detections listed as they happen. Times are
 * seconds since listening began. `?autostart` starts listening at once (the test does,
 * with Chromium's fake microphone playing a WAV file); the detections are also kept as
 * JSON in `#detections`, and `body[data-state]` says where the page is.
 */
import { InprocError, resources } from 'inproc';
import { type Detection, type WakeWordDetector, SAMPLE_RATE, STEP, openWakeWordAt } from '../../src/detector.js';
import workletUrl from './capture.worklet.ts?worker&url';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const detections: (Detection | (Omit<Detection, 'end'> & { end?: number }))[] = [];
let session: { detector: WakeWordDetector; stop: () => Promise<void> } | undefined;

function setState(state: string, text = state): void {
  document.body.dataset['state'] = state;
  $('state').textContent = text;
}

function render(): void {
  $('detections').textContent = JSON.stringify(detections);
  $('heard').textContent = detections.length === 0 ? 'nothing yet' : `${detections.length} wake word${detections.length === 1 ? '' : 's'}`;
  $('list').replaceChildren(
    ...detections.map((d) => {
      const li = document.createElement('li');
      li.textContent = `${d.keyword} at ${d.start.toFixed(2)} s${d.end === undefined ? '' : `–${d.end.toFixed(2)} s`} (score ${d.score.toFixed(3)})`;
      return li;
    }),
  );
}

async function listen(): Promise<void> {
  setState('loading', 'loading the models…');
  $('error').textContent = '';
  // WASM by default: these models are small and run every 80 ms, where a GPU's per-run cost
  // outweighs what it saves (`?device=webgpu` or `auto` to try).
  const device = new URLSearchParams(location.search).get('device') ?? 'wasm';
  const detector = await openWakeWordAt((file) => `${import.meta.env.BASE_URL}${file}`, {
    loadOptions: { device },
    onStart: (d) => {
      detections.push({ ...d });
      render();
    },
  });
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  // The context resamples the microphone to the models' rate.
  const context = new AudioContext({ sampleRate: SAMPLE_RATE });
  await context.audioWorklet.addModule(workletUrl);
  const capture = new AudioWorkletNode(context, 'inproc-capture', { processorOptions: { chunk: STEP } });
  const source = context.createMediaStreamSource(media);
  source.connect(capture);
  // Connected to the output (it writes silence) so that the context keeps pulling it.
  capture.connect(context.destination);
  const times: number[] = [];
  // One push at a time, in order: each waits for the one before (the graph serialises them too).
  let queue = Promise.resolve();
  let chunks = 0;
  capture.port.onmessage = (event: MessageEvent<{ type: string; samples?: Float32Array; sampleRate?: number }>) => {
    if (event.data.type === 'ready') $('audio').textContent = `the worklet runs at ${event.data.sampleRate ?? '?'} Hz`;
    const samples = event.data.samples;
    if (event.data.type !== 'chunk' || samples === undefined) return;
    document.body.dataset['chunks'] = String(++chunks);
    queue = queue.then(async () => {
      const started = performance.now();
      const ended = await detector.push(samples);
      times.push(performance.now() - started);
      document.body.dataset['pushed'] = String(times.length);
      for (const d of ended) {
        const open = detections.findLast((x) => x.keyword === d.keyword && x.start === d.start);
        if (open !== undefined) Object.assign(open, d);
      }
      if (times.length % 25 === 0) $('latency').textContent = `${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)} ms on average (${times.length} chunks)`;
      render();
    }).catch((error: unknown) => fail(error));
  };
  await context.resume();
  setState('listening', `listening (${device})…`);
  ($('listen') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  session = {
    detector,
    stop: async () => {
      capture.port.onmessage = null;
      source.disconnect();
      capture.disconnect();
      for (const track of media.getTracks()) track.stop();
      await context.close();
      await queue;
      await detector.dispose();
    },
  };
}

async function stop(): Promise<void> {
  const current = session;
  session = undefined;
  await current?.stop();
  const left = resources();
  setState('stopped', `stopped (${left.models} models, ${left.sessions} sessions still loaded)`);
  ($('listen') as HTMLButtonElement).disabled = false;
  ($('stop') as HTMLButtonElement).disabled = true;
}

function fail(error: unknown): void {
  setState('failed', 'failed');
  $('error').textContent = InprocError.is(error) ? `${error.code}: ${error.message}` : String(error);
}

$('listen').addEventListener('click', () => void listen().catch(fail));
$('stop').addEventListener('click', () => void stop().catch(fail));
render();
if (new URLSearchParams(location.search).has('autostart')) void listen().catch(fail);
