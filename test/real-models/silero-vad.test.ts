/**
 * Silero VAD v5 from the @ricky0123/vad-web npm package: a real model with a recurrent
 * state, an int64 scalar input and dynamic dimensions.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { type DeviceChoiceMetadata, Tensor, loadModel, openRepository, resources } from 'inproc';
import { publish, tempRoot } from '../repository/helpers.js';
import { failure } from '../helpers/errors.js';

const dist = dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web'));
const CHUNK = 512; // samples per call at 16 kHz, as vad-web feeds v5

function chunkOf(signal: (t: number) => number, index: number): Float32Array {
  return Float32Array.from({ length: CHUNK }, (_, i) => signal((index * CHUNK + i) / 16000));
}

describe('Silero VAD v5 (real model from @ricky0123/vad-web)', () => {
  it('loads with its real signature and runs over a stream of chunks, carrying the state', async () => {
    const before = resources();
    {
      await using vad = await loadModel(join(dist, 'silero_vad_v5.onnx'));
      expect(vad.backend).toBe('onnx-node');
      expect(vad.signature.inputs).toEqual([
        { name: 'input', dtype: 'float32', shape: [null, null] },
        { name: 'state', dtype: 'float32', shape: [2, null, 128] },
        { name: 'sr', dtype: 'int64', shape: [] },
      ]);
      expect(vad.signature.outputs.map((o) => o.name)).toEqual(['output', 'stateN']);

      const sr = new Tensor('int64', [16000n], []);
      const probabilities = async (signal: (t: number) => number, chunks: number): Promise<number[]> => {
        let state = new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
        const out: number[] = [];
        for (let i = 0; i < chunks; i++) {
          const result = await vad.run({ input: new Tensor('float32', chunkOf(signal, i), [1, CHUNK]), state, sr });
          expect(result['output']!.shape).toEqual([1, 1]);
          expect(result['stateN']!.shape).toEqual([2, 1, 128]);
          state = result['stateN'] as Tensor<'float32'>;
          out.push((result['output']!.data as Float32Array)[0]!);
        }
        return out;
      };

      const silence = await probabilities(() => 0, 20);
      // A voiced, vowel-like signal: a 140 Hz glottal pulse train through formant resonances, syllable-modulated.
      const voiced = (t: number): number => {
        const syllable = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
        const f0 = 140;
        let s = 0;
        for (let h = 1; h <= 30; h++) {
          const f = h * f0;
          const formants = Math.exp(-(((f - 700) / 130) ** 2)) + 0.7 * Math.exp(-(((f - 1200) / 150) ** 2)) + 0.3 * Math.exp(-(((f - 2600) / 250) ** 2));
          s += (formants / h ** 0.3) * Math.sin(2 * Math.PI * f * t);
        }
        return 0.3 * syllable * s;
      };
      const speech = await probabilities(voiced, 40);

      for (const p of [...silence, ...speech]) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
      }
      expect(Math.max(...silence)).toBeLessThan(0.1);
      // Once the model has heard a few chunks of the voiced signal, it calls it speech.
      const settled = speech.slice(10).sort((a, b) => a - b);
      expect(settled[settled.length >> 1]).toBeGreaterThan(0.3);
      // The state carries context: the model's answer changes as it hears more of the signal.
      expect(new Set(speech.map((p) => p.toFixed(4))).size).toBeGreaterThan(5);
    }
    expect(resources()).toEqual(before);
  });

  it("device 'fastest': synthesized timing inputs that the model cannot run are a RUN_FAILED naming them and the fix; its real inputs time it", async () => {
    const before = resources();
    const path = join(dist, 'silero_vad_v5.onnx');
    const options = { device: 'fastest', deviceChoice: { cache: false, budgetMs: 20 } } as const;
    // Dynamic dimensions 1 and a random sr: onnxruntime's Pad refuses an axis of length 1.
    const bare = await failure(loadModel(path, options));
    expect(bare.code).toBe('RUN_FAILED');
    expect(bare.message).toContain('the model failed on the timing inputs (input float32 [1, 1], state float32 [2, 1, 128], sr int64 [])');
    expect(bare.message).toMatch(/options\.warmup\.feeds.*options\.dims.*'input\[axis\]'/);
    expect(bare.details).toMatchObject({ during: 'device-choice', synthesized: true, timingInputs: { input: { dtype: 'float32', shape: [1, 1] }, sr: { dtype: 'int64', shape: [] } } });
    // dims sizes the unnamed axis (input[1]); sr stays random, so it still fails, now on [1, 512].
    const sized = await failure(loadModel(path, { ...options, dims: { 'input[1]': 512 } }));
    expect(sized.details).toMatchObject({ during: 'device-choice', timingInputs: { input: { shape: [1, 512] } } });
    expect((await failure(loadModel(path, { ...options, dims: { 'input[5]': 512 } }))).code).toBe('INPUT_INVALID');
    expect((await failure(loadModel(path, { ...options, dims: { 'audio[1]': 512 } }))).message).toContain('the model has no input "audio"');
    // Warm-up on synthesized inputs says the same, with the shapes dims gave.
    const warm = await failure(loadModel(path, { warmup: 1, dims: { 'input[1]': 4 } }));
    expect(warm.code).toBe('RUN_FAILED');
    expect(warm.details).toMatchObject({ during: 'warm-up', synthesized: true });
    expect(warm.message).toContain('synthesized zeros inputs input float32 [1, 4], state float32 [2, 1, 128], sr int64 []');
    // Real inputs, here made asynchronously from the signature (as a tool reading files would).
    const feeds = async (): Promise<Record<string, Tensor>> => ({
      input: new Tensor('float32', chunkOf((t) => Math.sin(2 * Math.PI * 440 * t), 0), [1, CHUNK]),
      state: new Tensor('float32', new Float32Array(256), [2, 1, 128]),
      sr: new Tensor('int64', [16000n], []),
    });
    {
      await using vad = await loadModel(path, { ...options, warmup: { runs: 0, feeds } });
      expect(vad.device).toBe('cpu');
      const { deviceTimings, deviceErrors, deviceChoice } = vad.metadata as Partial<DeviceChoiceMetadata>;
      expect(deviceChoice).toBe('measured');
      expect(typeof deviceTimings?.['cpu']).toBe('number');
      for (const [device, ms] of Object.entries(deviceTimings ?? {})) expect(Number.isFinite(ms), device).toBe(true);
      for (const [device, why] of Object.entries(deviceErrors ?? {})) expect(typeof why, device).toBe('string');
    }
    expect(resources()).toEqual(before);
  });

  it("a repository manifest with device 'fastest' times devices on its warm-up samples", async () => {
    const before = resources();
    const root = await tempRoot('inproc-silero-repo-');
    const sample = (dtype: string, shape: number[], data: number[]): string => JSON.stringify({ dtype, shape, data });
    await publish(root, 'vad', 1, {
      model: await readFile(join(dist, 'silero_vad_v5.onnx')),
      manifest: { device: 'fastest', warmup: { runs: 1, samples: { input: 'input.json', state: 'state.json', sr: 'sr.json' } } },
      files: { 'input.json': sample('float32', [1, CHUNK], new Array<number>(CHUNK).fill(0)), 'state.json': sample('float32', [2, 1, 128], new Array<number>(256).fill(0)), 'sr.json': sample('int64', [], [16000]) },
    });
    const previous = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(root, '.xdg'); // the decision cache, away from the user's
    try {
      await using repository = await openRepository(root);
      await using lease = await repository.get('vad');
      expect(lease.device).toBe('cpu');
      expect(lease.metadata['deviceChoice']).toBe('measured');
    } finally {
      if (previous === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = previous;
      await rm(root, { recursive: true, force: true });
    }
    expect(resources()).toEqual(before);
  });

  it('loads the legacy model with its LSTM h/c inputs', async () => {
    await using vad = await loadModel(join(dist, 'silero_vad_legacy.onnx'));
    expect(vad.signature.inputs.map((i) => `${i.name}:${i.dtype}[${i.shape.join(',')}]`)).toEqual(['input:float32[batch,sequence]', 'sr:int64[]', 'h:float32[2,batch,64]', 'c:float32[2,batch,64]']);
    const zeros = (): Tensor => new Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
    const out = await vad.run({ input: new Tensor('float32', new Float32Array(1536), [1, 1536]), sr: new Tensor('int64', [16000n], []), h: zeros(), c: zeros() });
    const p = (out['output']!.data as Float32Array)[0]!;
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(0.1);
  });
});
