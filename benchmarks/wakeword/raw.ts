/**
 * The baseline: the same openWakeWord pipeline written plainly on raw onnxruntime-node,
 * for a whole file at once (no streaming, no Inproc): the melspectrogram over each 80 ms
 * step with 480 samples of context (as openWakeWord streams it: the model clamps to 80 dB
 * below the loudest value of its whole input, so one run over the file gives other
 * values), one batched embedding run over every window, then each head over every step
 * (the heads take a batch of 1), the heads one after another. Its scores are the
 * reference the streaming graph is checked against.
 * @module
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** Scores per keyword, one per 80 ms step; the step's time is `(step + 1) * 1280` samples. */
export type RawScores = Record<string, Float32Array>;

export interface RawWakeWord {
  scores(samples: Float32Array): Promise<RawScores>;
  release(): Promise<void>;
}

export async function openRawWakeWord(dir: string, keywords: readonly string[]): Promise<RawWakeWord> {
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1 };
  const mel = await ort.InferenceSession.create(join(dir, 'melspectrogram.onnx'), options);
  const embedding = await ort.InferenceSession.create(join(dir, 'embedding_model.onnx'), options);
  const heads = await Promise.all(keywords.map((k) => ort.InferenceSession.create(join(dir, `${k}_v0.1.onnx`), options)));
  return {
    async scores(samples) {
      const steps = Math.floor(samples.length / 1280);
      // 480 samples of silence before the stream, at 16-bit scale.
      const padded = new Float32Array(480 + steps * 1280);
      for (let i = 0; i < steps * 1280; i++) padded[480 + i] = samples[i]! * 32767;
      const frames = steps * 8;
      // 68 frames of 1 before the stream, then the scaled melspectrogram.
      const melBuf = new Float32Array((68 + frames) * 32).fill(1);
      for (let s = 0; s < steps; s++) {
        const out = await mel.run({ [mel.inputNames[0]!]: new ort.Tensor('float32', padded.subarray(s * 1280, s * 1280 + 1760), [1, 1760]) });
        const melData = out[mel.outputNames[0]!]!.data as Float32Array;
        for (let i = 0; i < 8 * 32; i++) melBuf[(68 + s * 8) * 32 + i] = melData[i]! / 10 + 2;
      }
      const windows = new Float32Array(steps * 76 * 32);
      for (let s = 0; s < steps; s++) windows.set(melBuf.subarray(s * 8 * 32, (s * 8 + 76) * 32), s * 76 * 32);
      const embOut = steps === 0 ? new Float32Array(0) : ((await embedding.run({ [embedding.inputNames[0]!]: new ort.Tensor('float32', windows, [steps, 76, 32, 1]) }))[embedding.outputNames[0]!]!.data as Float32Array);
      // 15 zero embeddings before the stream.
      const embBuf = new Float32Array((15 + steps) * 96);
      embBuf.set(embOut, 15 * 96);
      const result: RawScores = {};
      for (const [h, head] of heads.entries()) {
        const scores = new Float32Array(steps);
        for (let s = 0; s < steps; s++) {
          const out = await head.run({ [head.inputNames[0]!]: new ort.Tensor('float32', embBuf.slice(s * 96, (s + 16) * 96), [1, 16, 96]) });
          scores[s] = (out[head.outputNames[0]!]!.data as Float32Array)[0]!;
        }
        result[keywords[h]!] = scores;
      }
      return result;
    },
    async release() {
      await Promise.all([mel, embedding, ...heads].map((s) => s.release()));
    },
  };
}
