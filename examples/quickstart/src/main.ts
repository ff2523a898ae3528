/**
 * Quick start: load Silero VAD (an ONNX model shipped in the @ricky0123/vad-web npm
 * package) with Inproc, stream a signal through it in 32 ms chunks, carrying the
 * model's recurrent state, and print the speech probability per chunk as JSON.
 *
 *   npm run start -w examples/quickstart
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tensor, loadModel, resources, typedModel } from 'inproc';

const modelPath = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
const SAMPLE_RATE = 16000;
const CHUNK = 512;

// One second of silence, then one second of a voiced, vowel-like sound.
function sample(t: number): number {
  if (t < 1) return 0;
  let s = 0;
  for (let h = 1; h <= 30; h++) {
    const f = h * 140;
    s += ((Math.exp(-(((f - 700) / 130) ** 2)) + 0.7 * Math.exp(-(((f - 1200) / 150) ** 2))) / h ** 0.3) * Math.sin(2 * Math.PI * f * t);
  }
  return 0.3 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t)) * s;
}

{
  await using model = await loadModel(modelPath);
  console.error(`loaded ${modelPath}\n  backend ${model.backend}, device ${model.device}`);
  for (const input of model.signature.inputs) console.error(`  input  ${input.name}: ${input.dtype} [${input.shape.map((d) => d ?? '?').join(', ')}]`);

  // run() typed from the signature (checked against the model here): no casts below.
  const vad = typedModel(model, { inputs: { input: 'float32', state: 'float32', sr: 'int64' }, outputs: { output: 'float32', stateN: 'float32' } });
  const sr = new Tensor('int64', [BigInt(SAMPLE_RATE)], []);
  let state = new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  const chunks: { start: number; probability: number }[] = [];
  for (let i = 0; i < (2 * SAMPLE_RATE) / CHUNK; i++) {
    const audio = Float32Array.from({ length: CHUNK }, (_, j) => sample((i * CHUNK + j) / SAMPLE_RATE));
    const out = await vad.run({ input: new Tensor('float32', audio, [1, CHUNK]), state, sr });
    state = out.stateN;
    chunks.push({ start: +((i * CHUNK) / SAMPLE_RATE).toFixed(3), probability: +out.output.data[0]!.toFixed(3) });
  }
  console.log(JSON.stringify({ model: 'silero_vad_v5', sampleRate: SAMPLE_RATE, chunks }));
}
console.error(`after dispose: ${JSON.stringify(resources())}`);
