// typedModel: run() results typed from the model's signature, checked against the loaded
// model, on the real Silero VAD model (names, an int64 input, two outputs).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, resources, typedModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';

const silero = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
const VAD = { inputs: { input: 'float32', state: 'float32', sr: 'int64' }, outputs: { output: 'float32', stateN: 'float32' } } as const;

describe('typedModel', () => {
  it('types run() from the spec after checking it against the model, with no wrapper', async () => {
    const before = resources();
    {
      await using loaded = await loadModel(silero);
      const vad = typedModel(loaded, VAD);
      expect(vad).toBe(loaded);
      const out = await vad.run({
        input: new Tensor('float32', new Float32Array(512), [1, 512]),
        state: new Tensor('float32', new Float32Array(256), [2, 1, 128]),
        sr: new Tensor('int64', [16000n], []),
      });
      // Compile-time: out.output is a Tensor<'float32'>, so its data is a Float32Array (no cast).
      const data: Float32Array = out.output.data;
      const probability: number | undefined = data[0];
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
      const next: Tensor<'float32'> = out.stateN;
      expect(next.shape).toEqual([2, 1, 128]);
      const input = new Tensor('float32', new Float32Array(512), [1, 512]);
      const sr = new Tensor('int64', [16000n], []);
      // @ts-expect-error an input the spec does not name
      expect(await code(vad.run({ input, state: next, sr, extra: sr }))).toBe('INPUT_UNEXPECTED');
      // @ts-expect-error sr is int64 in the spec
      expect(await code(vad.run({ input, state: next, sr: input }))).toBe('INPUT_DTYPE');
    }
    expect(resources()).toEqual(before);
  });

  it('rejects a spec the model does not match, naming what differs', async () => {
    const before = resources();
    {
      await using vad = await loadModel(silero);
      const fail = (spec: unknown): { code: string; message: string } => {
        try {
          typedModel(vad, spec as typeof VAD);
        } catch (error) {
          return { code: (error as { code: string }).code, message: (error as Error).message };
        }
        return { code: 'returned', message: '' };
      };
      expect(fail({ ...VAD, inputs: { ...VAD.inputs, sr: 'int32' } })).toMatchObject({ code: 'INPUT_DTYPE', message: expect.stringContaining('input "sr" to be int32, the model\'s is int64') });
      expect(fail({ ...VAD, outputs: { prob: 'float32' } })).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('expects output "prob"') });
      expect(fail({ inputs: { input: 'float32', state: 'float32' }, outputs: {} })).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining("missing sr: 'int64'") });
      expect(fail(null)).toMatchObject({ code: 'INPUT_INVALID' });
      expect(fail({ inputs: VAD.inputs })).toMatchObject({ code: 'INPUT_INVALID' });
      // A subset of the outputs is enough: the others are returned, untyped.
      expect(fail({ inputs: VAD.inputs, outputs: { output: 'float32' } }).code).toBe('returned');
    }
    expect(resources()).toEqual(before);
  });

  it('types a generated-fixture model the same way', async () => {
    await using mlp = typedModel(await loadModel(mlpModel(4)), { inputs: { x: 'float32' }, outputs: { y: 'float32' } });
    const out = await mlp.run({ x: new Tensor('float32', new Float32Array(4), [1, 4]) });
    expect(out.y.dataAs('float32')).toHaveLength(4);
  });
});
