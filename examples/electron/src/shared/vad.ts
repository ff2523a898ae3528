/**
 * Silero VAD v5 over 16 kHz samples: one speech probability per 512-sample chunk (with
 * 64 samples of context), the model state carried over. Shared by the main process
 * (onnx-node) and the renderer (onnx-web), so both run exactly the same calls.
 */
import { Tensor, type Model } from 'inproc';

export async function vadProbabilities(model: Model, samples: Float32Array): Promise<number[]> {
  let state: Tensor = new Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const sr = new Tensor('int64', [16000n], []);
  const window = new Float32Array(576);
  const out: number[] = [];
  for (let offset = 0; offset + 512 <= samples.length; offset += 512) {
    window.copyWithin(0, 512);
    window.set(samples.subarray(offset, offset + 512), 64);
    const result = await model.run({ input: new Tensor('float32', window.slice(), [1, 576]), state, sr });
    out.push((result['output']!.data as Float32Array)[0]!);
    state = result['stateN']!;
  }
  return out;
}
