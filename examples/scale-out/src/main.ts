/**
 * One app, two deployments. By default its models run embedded, in this process. With
 * INPROC_SERVERS set (comma-separated base URLs of v2 inference servers: `inproc serve`
 * replicas, Triton, KServe), the same models run there, through the kserve backend —
 * the only line that differs is the `loadModel` call below. Prints what it computed as
 * JSON: the same either way.
 *
 *   npm run start -w examples/scale-out                       # embedded
 *   INPROC_SERVERS=http://127.0.0.1:8000,http://127.0.0.1:8001 npm run start -w examples/scale-out
 *   npm run start:replicas -w examples/scale-out              # starts two inproc serve replicas, then the above
 */
import { join } from 'node:path';
import { type Feeds, type LoadOptions, type Model, type Outputs, type ScoredLabel, Tensor, resources, topK } from 'inproc';
import { loadModel } from 'inproc';
import { prepareRepository } from './models.js';

const servers = process.env['INPROC_SERVERS']?.split(',').filter((s) => s !== '');
const root = await prepareRepository();

/** The one place that knows where models run. */
function load<I, O>(name: string, options: LoadOptions<I, O> = {}): Promise<Model<I, O>> {
  if (servers === undefined || servers.length === 0) return loadModel<I, O>(join(root, name, '1'), options);
  return loadModel<I, O>(`${servers[0]}/v2/models/${name}`, { ...options, backend: 'kserve', backendOptions: { replicas: servers.slice(1) } });
}

await using orientation = await load<Tensor, ScoredLabel[][]>('orientation', { postprocess: topK({ k: 1, labels: ['0°', '180°'] }) });
await using vad = await load<Feeds, Outputs>('vad');

// 24 synthetic text lines (48x192 RGB strokes; every other one flipped vertically), classified concurrently.
const line = (i: number): Tensor => {
  const data = new Float32Array(3 * 48 * 192);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 192; x++) {
        const row = i % 2 === 0 ? y : 47 - y;
        data[(c * 48 + y) * 192 + x] = row < 30 && (x + i) % 12 < 6 ? 1 - row / 48 : -0.5;
      }
  return new Tensor('float32', data, [1, 3, 48, 192]);
};
const labels = await Promise.all(Array.from({ length: 24 }, (_, i) => orientation.run(line(i))));

// Two seconds of a 16 kHz tone with silence around it, through Silero VAD chunk by chunk (the state carries over).
let state: Tensor = new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
const sr = new Tensor('int64', [16000n], []);
const speech: number[] = [];
for (let chunk = 0; chunk < 62; chunk++) {
  const input = new Float32Array(512).map((_, i) => (chunk > 15 && chunk < 45 ? 0.4 * Math.sin(((chunk * 512 + i) * 2 * Math.PI * 220) / 16000) * (1 + 0.3 * Math.sin(i / 40)) : 0));
  const out = await vad.run({ input: new Tensor('float32', input, [1, 512]), state, sr });
  state = out['stateN']!;
  speech.push(Math.round((out['output']!.data as Float32Array)[0]! * 1000) / 1000);
}

console.log(
  JSON.stringify({
    mode: servers === undefined || servers.length === 0 ? 'embedded' : `remote (${servers.length} replicas)`,
    backend: orientation.backend,
    orientation: labels.map((l) => `${l[0]![0]!.label} ${l[0]![0]!.score.toFixed(3)}`),
    vad: speech,
  }),
);
await orientation.dispose();
await vad.dispose();
if (resources().models !== 0) throw new Error(`models left undisposed: ${JSON.stringify(resources())}`);
