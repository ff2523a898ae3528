// The same work with onnxruntime-web alone: the baseline the bundle sizes are compared with.
import * as ort from 'onnxruntime-web';
import { loadAudio, report } from './common.js';

/** `wasmPaths`: where the .wasm and .mjs were copied, for bundlers that do not emit them. */
export async function runRawVad(modelUrl, wasmPaths) {
  if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const samples = await loadAudio();
    let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
    const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
    const probabilities = [];
    for (let f = 0; f < samples.length / 512; f++) {
      const out = await session.run({ input: new ort.Tensor('float32', samples.slice(f * 512, (f + 1) * 512), [1, 512]), state, sr });
      probabilities.push(out.output.data[0]);
      state = out.stateN;
    }
    return { device: 'wasm', backend: 'onnxruntime-web', isolation: 'none', probabilities };
  } finally {
    await session.release();
  }
}

export { report };
