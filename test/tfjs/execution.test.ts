/**
 * Running TF.js models: graphs that need executeAsync (control flow, dynamic shapes),
 * output selection, memory discipline under interleaved calls, and the process-wide
 * engine (one at a time, switched only when no model holds it).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, resources } from 'inproc';
import { tfjsEngineState } from '@inproc/tfjs';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { tfjsCond, tfjsFailing, tfjsMlp, tfjsMultiIo, tfjsPositions } from '@inproc/testkit/tfjs/models';
import type { TfjsFixture } from '@inproc/testkit/tfjs/builder';
import { codeOf, liveTfTensors, tf } from './helpers.js';

const ZERO = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
const load = (f: TfjsFixture, device: string, extra: Record<string, unknown> = {}) => loadModel(f.json, { backend: 'tfjs', device, backendOptions: { weights: f.weights }, ...extra });

describe('tfjs execution', () => {
  for (const device of ['wasm', 'cpu']) {
    it(`runs a control-flow graph with executeAsync and frees every tensor (${device})`, async () => {
      const before = liveTfTensors();
      const model = await load(tfjsCond(), device);
      expect(model.metadata['execution']).toBe('executeAsync');
      expect(model.signature.inputs.map((i) => `${i.name}:${i.dtype}:${JSON.stringify(i.shape)}`)).toEqual(['x:float32:["n"]', 'pred:bool:[]']);
      const x = new Tensor('float32', [1, -2, 3], [3]);
      const yes = await model.run({ x, pred: new Tensor('bool', [true], []) });
      const no = await model.run({ x, pred: new Tensor('bool', [false], []) });
      expect([...(yes['y']!.data as Float32Array)]).toEqual([2, -4, 6]);
      expect([...(no['y']!.data as Float32Array)]).toEqual([-1, 2, -3]);
      await model.dispose();
      expect(liveTfTensors()).toBe(before);
      expect(resources()).toEqual(ZERO);
    });
  }

  it('runs a dynamic-shape graph (Where) and reports the real output dtype and shape', async () => {
    await using model = await load(tfjsPositions(), 'wasm');
    expect(model.metadata['execution']).toBe('executeAsync');
    expect(model.signature.outputs).toEqual([{ name: 'where', dtype: 'int32', shape: [], unknownRank: true }]);
    const { where } = await model.run(new Tensor('float32', [1, -2, 3, 0, 5], [5]));
    expect(where!.dtype).toBe('int32');
    expect(where!.shape).toEqual([3, 1]);
    expect([...(where!.data as Int32Array)]).toEqual([0, 2, 4]);
  });

  it('computes only the outputs asked for, and frees the others', async () => {
    const before = liveTfTensors();
    await using model = await load(tfjsMultiIo(), 'wasm');
    const feeds = { a: new Tensor('float32', [1, 2, 3, 4], [1, 4]), ids: new Tensor('int32', [1, 2, 3], [1, 3]), mask: new Tensor('bool', [1, 0, 1], [1, 3]) };
    const some = await model.run(feeds, { outputs: ['inverted', 'sum'] });
    expect(Object.keys(some).sort()).toEqual(['inverted', 'sum']);
    expect([...(some['inverted']!.data as Uint8Array)]).toEqual([0, 1, 0]);
    expect(liveTfTensors() - before).toBe(1); // only the weight `one` remains, held by the model
  });

  it('keeps interleaved calls of sync and async graphs apart, with no tensor left behind', async () => {
    const before = liveTfTensors();
    const cond = await load(tfjsCond(), 'wasm', { concurrency: 4 });
    const mlp = await load(tfjsMlp(64), 'wasm', { concurrency: 4 });
    const inputs = Array.from({ length: 16 }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 7 + j)));
    const calls = inputs.flatMap((data, i) => [
      cond.run({ x: new Tensor('float32', data, [64]), pred: new Tensor('bool', [i % 2 === 0], []) }).then((out) => ({ kind: 'cond' as const, i, out })),
      mlp.run({ x: new Tensor('float32', data, [1, 64]) }).then((out) => ({ kind: 'mlp' as const, i, out })),
    ]);
    for (const { kind, i, out } of await Promise.all(calls)) {
      const data = inputs[i]!;
      const y = out['y']!.data as Float32Array;
      if (kind === 'cond') expect([...y]).toEqual([...data].map((v) => Math.fround(i % 2 === 0 ? v * 2 : -v)));
      else {
        const want = mlpReference(data, 1, 64);
        for (let j = 0; j < want.length; j++) expect(Math.abs(y[j]! - want[j]!)).toBeLessThan(1e-4);
      }
    }
    expect(resources().tensors).toBe(0);
    await Promise.all([cond.dispose(), mlp.dispose()]);
    expect(liveTfTensors()).toBe(before);
    expect(resources()).toEqual(ZERO);
  });

  it('frees inputs and partial results when a run fails inside TF.js', async () => {
    const before = liveTfTensors();
    for (const device of ['wasm', 'cpu']) {
      await using model = await load(tfjsFailing(), device);
      for (let i = 0; i < 5; i++) {
        const r = await codeOf(model.run(new Tensor('float32', [1, 2], [2])));
        expect(r.code).toBe('RUN_FAILED');
        expect(r.cause).toBeInstanceOf(Error);
      }
      expect(resources().tensors).toBe(0);
      expect(liveTfTensors() - before).toBe(1); // the model's one weight
    }
    expect(liveTfTensors()).toBe(before);
  });

  it('holds one engine per process: switches when free, refuses a second engine while a model holds the first', async () => {
    const mlp = tfjsMlp(16);
    const onWasm = await load(mlp, 'wasm');
    expect(tfjsEngineState()).toEqual({ engine: 'wasm', tfBackend: 'wasm', holders: [expect.stringContaining('tfjs <Uint8Array')] });
    const refused = await codeOf(load(mlp, 'cpu'));
    expect(refused.code).toBe('DEVICE_UNAVAILABLE');
    expect(refused.message).toMatch(/one engine per process, and 1 model\(s\) hold tensors on the wasm engine/);
    // 'auto' follows the engine in use rather than failing.
    const auto = await loadModel(mlp.json, { backend: 'tfjs', backendOptions: { weights: mlp.weights } });
    expect(auto.device).toBe('wasm');
    await auto.dispose();
    await onWasm.dispose();
    const onCpu = await load(mlp, 'cpu');
    expect(onCpu.device).toBe('cpu');
    expect(onCpu.metadata['engine']).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await onCpu.dispose();
    expect(resources()).toEqual(ZERO);
  });

  it('fails a run with RUN_FAILED when other code switched the TF.js backend, and recovers when it is switched back', async () => {
    const mlp = tfjsMlp(16);
    await using model = await load(mlp, 'wasm');
    await tf.setBackend('cpu');
    const r = await codeOf(model.run(new Tensor('float32', new Float32Array(16), [1, 16])));
    expect(r.code).toBe('RUN_FAILED');
    expect(r.message).toContain('switched to "cpu" outside Inproc');
    await tf.setBackend('wasm');
    expect((await model.run(new Tensor('float32', new Float32Array(16), [1, 16])))['y']!.shape).toEqual([1, 16]);
  });

  it('reports devices it cannot use here with DEVICE_UNAVAILABLE, naming what is missing', async () => {
    const mlp = tfjsMlp(16);
    const cuda = await codeOf(load(mlp, 'cuda'));
    expect(cuda.code).toBe('DEVICE_UNAVAILABLE');
    expect(cuda.message).toMatch(/@tensorflow\/tfjs-node-gpu|no NVIDIA GPU is visible/);
    expect((await codeOf(load(mlp, 'webgpu'))).message).toContain('no navigator.gpu');
    expect((await codeOf(load(mlp, 'webgl'))).message).toContain('WebGL is not available here');
    expect((await codeOf(load(mlp, 'npu'))).code).toBe('DEVICE_UNAVAILABLE');
    // 'auto' in Node without the native bindings: the fastest engine that works here is wasm.
    await using auto = await loadModel(mlp.json, { backend: 'tfjs', backendOptions: { weights: mlp.weights } });
    expect(auto.device).toBe('wasm');
    expect(auto.metadata['fallbacks']).toEqual(expect.arrayContaining([expect.stringMatching(/^tensorflow: .*@tensorflow\/tfjs-node/)]));
    expect(resources().models).toBe(1);
  });
});
