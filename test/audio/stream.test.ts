/**
 * AudioStream: chunking of pushed audio, context samples, state carried from run to
 * run and owned by the stream (each replaced state disposed, the last on dispose), on
 * a recording model and on the real Silero VAD v5.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, loadModel, resources, type Feeds, type Outputs } from 'inproc';
import { AudioStream } from '@inproc/audio';
import { code } from '../helpers/errors.js';

/** Returns sum(input) as `y` and state + 1 as `next`, and remembers what it was fed. */
function recordingModel(): { model: { run(feeds: Feeds): Promise<Outputs> }; fed: Record<string, Tensor>[]; returned: Tensor[] } {
  const fed: Record<string, Tensor>[] = [];
  const returned: Tensor[] = [];
  return {
    fed,
    returned,
    model: {
      run(feeds) {
        const named = feeds as Record<string, Tensor>;
        // Copies: the stream disposes the state tensors it fed once they are replaced.
        const copy = (t: Tensor): Tensor => new Tensor('float32', (t.data as Float32Array).slice(), t.shape);
        fed.push({ input: copy(named['input']!), h: copy(named['h']!) });
        const sum = (named['input']!.data as Float32Array).reduce((a, b) => a + b, 0);
        const next = new Tensor('float32', Float32Array.from(named['h']!.data as Float32Array, (v) => v + 1), named['h']!.shape);
        returned.push(next);
        return Promise.resolve({ y: new Tensor('float32', [sum], [1]), next });
      },
    },
  };
}


describe('AudioStream', () => {
  it('cuts pushes of any length into chunks with context, carries and disposes the state', async () => {
    const { model, fed, returned } = recordingModel();
    const stream = new AudioStream(model, { chunkSize: 4, context: 2, state: [{ input: 'h', output: 'next', shape: [1, 2] }] });
    const first = await stream.push(Float32Array.from([1, 2, 3]));
    expect(first).toEqual([]);
    expect(stream.buffered).toBe(3);
    const second = await stream.push(Float32Array.from([4, 5, 6, 7, 8, 9, 10]));
    expect(second.map((r) => [r.index, r.start, (r.outputs['y']!.data as Float32Array)[0]])).toEqual([
      [0, 0, 10],
      [1, 4, 3 + 4 + 26], // context [3, 4] + chunk [5, 6, 7, 8]
    ]);
    // The state output is not handed back: the stream owns it.
    expect(Object.keys(second[0]!.outputs)).toEqual(['y']);
    expect(fed.map((f) => [...(f['input']!.data as Float32Array)])).toEqual([
      [0, 0, 1, 2, 3, 4],
      [3, 4, 5, 6, 7, 8],
    ]);
    expect(fed.map((f) => [...(f['h']!.data as Float32Array)])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // The first returned state was fed to the second run and then replaced: disposed.
    expect(returned[0]!.disposed).toBe(true);
    expect(returned[1]!.disposed).toBe(false);
    const tail = await stream.flush();
    expect(tail.map((r) => [r.index, r.start])).toEqual([[2, 8]]);
    expect([...(fed[2]!['input']!.data as Float32Array)]).toEqual([7, 8, 9, 10, 0, 0]);
    expect(await stream.flush()).toEqual([]);
    await stream.reset();
    expect(returned[2]!.disposed).toBe(true);
    await stream.push(new Float32Array(4));
    expect([...(fed[3]!['h']!.data as Float32Array)]).toEqual([0, 0]);
    expect([...(fed[3]!['input']!.data as Float32Array)].slice(0, 2)).toEqual([0, 0]);
    stream.dispose();
    stream.dispose();
    await Promise.resolve();
    await Promise.resolve();
    expect(returned[3]!.disposed).toBe(true);
    expect(await code(stream.push(new Float32Array(4)))).toBe('DISPOSED');
  });

  it('serialises concurrent pushes', async () => {
    const { model, fed } = recordingModel();
    const stream = new AudioStream(model, { chunkSize: 2, state: [{ input: 'h', output: 'next', shape: [1] }] });
    const results = await Promise.all([stream.push(Float32Array.from([1, 2, 3])), stream.push(Float32Array.from([4, 5]))]);
    expect(results.map((r) => r.map((c) => c.start))).toEqual([[0], [2]]);
    expect(fed.map((f) => [...(f['input']!.data as Float32Array)])).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('rejects bad options, bad samples and a model without the state output', async () => {
    const { model } = recordingModel();
    const make = (options: object) => () => new AudioStream(model, options as never);
    for (const bad of [{ chunkSize: 0, state: [] }, { chunkSize: 4, context: -1, state: [] }, { chunkSize: 4 }, { chunkSize: 4, state: [{ input: 'h' }] }, { chunkSize: 4, state: [], constants: { sr: 16000 } }]) {
      expect(make(bad)).toThrow(InprocError);
    }
    expect(() => new AudioStream({} as never, { chunkSize: 4, state: [] })).toThrow(InprocError);
    const stream = new AudioStream(model, { chunkSize: 2, state: [{ input: 'h', output: 'missing', shape: [1] }] });
    expect(await code(stream.push([1, 2] as never))).toBe('INPUT_INVALID');
    expect(await code(stream.push(Float32Array.from([1, 2])))).toBe('RUN_FAILED');
  });

  it('streams Silero VAD v5 with the same answers however the audio is split', async () => {
    const before = resources();
    const path = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
    {
      await using vad = await loadModel(path);
      const sr = new Tensor('int64', [16000n], []);
      const options = { chunkSize: 512, context: 64, state: [{ input: 'state', output: 'stateN', shape: [2, 1, 128] }], constants: { sr } };
      const voiced = Float32Array.from({ length: 16000 }, (_, n) => {
        const t = n / 16000;
        let s = 0;
        for (let h = 1; h <= 20; h++) s += (Math.exp(-(((h * 140 - 700) / 150) ** 2)) / h ** 0.3) * Math.sin(2 * Math.PI * h * 140 * t);
        return t < 0.4 ? 0 : 0.3 * s;
      });
      const probabilities = async (pieces: number[]): Promise<number[]> => {
        using stream = new AudioStream(vad, options);
        const out: number[] = [];
        let at = 0;
        for (const size of pieces) {
          for (const r of await stream.push(voiced.subarray(at, at + size))) out.push((r.outputs['output']!.data as Float32Array)[0]!);
          at += size;
        }
        return out;
      };
      const whole = await probabilities([16000]);
      const split = await probabilities([100, 1000, 7, 4000, 10893]);
      expect(whole.length).toBe(31);
      expect(split).toEqual(whole);
      expect(Math.max(...whole.slice(0, 10))).toBeLessThan(0.1);
    }
    expect(resources()).toEqual(before);
  });
});
