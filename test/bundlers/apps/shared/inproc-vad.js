// Shared by every bundler's app: Silero VAD v5 through inproc, in the page or in Web
// Workers, over deterministic audio. The result goes to globalThis.__bundlerResult,
// which test/bundlers/run.ts reads and compares with the same model run in Node.
import { Tensor, loadModel } from 'inproc';
import { loadAudio, report } from './common.js';

/** Runs Silero VAD over the test audio, 512 samples at a time, carrying its state. */
export async function runVad(modelUrl, options = {}) {
  const model = await loadModel(modelUrl, { device: 'wasm', ...options });
  try {
    const samples = await loadAudio();
    let state = new Tensor('float32', new Float32Array(256), [2, 1, 128]);
    const sr = new Tensor('int64', [16000n], []);
    const probabilities = [];
    for (let f = 0; f < samples.length / 512; f++) {
      const out = await model.run({ input: new Tensor('float32', samples.subarray(f * 512, (f + 1) * 512), [1, 512]), state, sr });
      probabilities.push(out.output.data[0]);
      state = out.stateN;
    }
    return { device: model.device, backend: model.backend, isolation: model.metadata.isolation ?? 'none', probabilities };
  } finally {
    await model.dispose();
  }
}

export { report };
