import { describe, expect, it } from 'vitest';
import { type InprocError, Tensor, loadModel, monitorEventLoop, resources } from 'inproc';
import { identityModel, mlpModel, mlpReference, slowModel } from '@inproc/testkit/onnx/models';

const zero = (): Tensor => new Tensor('float32', new Float32Array(512), [1, 512]);

describe("isolation: 'worker'", () => {
  it('runs the model in worker threads with the same answers, and frees everything on dispose', async () => {
    const before = resources();
    const model = await loadModel(mlpModel(64), { isolation: 'worker', workers: 2 });
    expect(model.backend).toBe('onnx-node');
    expect(model.metadata).toMatchObject({ isolation: 'worker', workers: 2 });
    expect(model.signature.inputs[0]).toEqual({ name: 'x', dtype: 'float32', shape: ['batch', 64] });
    expect(resources().sessions).toBe(before.sessions + 2); // one session per worker
    const inputs = Array.from({ length: 8 }, (_, i) => new Tensor('float32', Float32Array.from({ length: 128 }, (_, j) => Math.cos(i + j)), [2, 64]));
    const outputs = await Promise.all(inputs.map((x) => model.run({ x })));
    outputs.forEach((out, i) => {
      const want = mlpReference(inputs[i]!.data, 2, 64);
      const got = out['y']!.data as Float32Array;
      want.forEach((v, k) => expect(got[k]).toBeCloseTo(v, 4));
    });
    // The caller's inputs are cloned, never detached by a transfer.
    expect(inputs[0]!.data.length).toBe(128);
    await model.dispose();
    expect(resources()).toEqual(before);
  });

  it('keeps the event loop free while the model runs', async () => {
    const measure = async (isolation: 'none' | 'worker'): Promise<{ blockedMs: number; runMs: number }> => {
      await using model = await loadModel(slowModel({ depth: 100 }), { isolation });
      await model.run(zero()); // warm
      const monitor = await monitorEventLoop();
      await model.run(zero());
      await new Promise((resolve) => setTimeout(resolve, 20)); // the monitor records a stall on its next tick
      const delay = monitor.stop();
      return { blockedMs: delay.max, runMs: model.stats().durationsMs.run.max };
    };
    // Relative, not absolute: in process the loop stalls for about the whole run; with a
    // worker it stalls for a small fraction of it, however fast the machine is.
    const inProcess = await measure('none');
    const isolated = await measure('worker');
    expect(inProcess.blockedMs).toBeGreaterThan(inProcess.runMs * 0.5);
    expect(isolated.blockedMs).toBeLessThan(isolated.runMs * 0.5);
  });

  it('fails the call of a crashed worker with WORKER_CRASHED and replaces the worker', async () => {
    const before = resources();
    const model = await loadModel(identityModel(['string']), { isolation: 'worker', workerResourceLimits: { maxOldGenerationSizeMb: 16 } });
    // 400k strings of 100 characters do not fit a 16 MB heap: the worker dies out of memory.
    const huge = Array.from({ length: 400_000 }, (_, i) => `${'x'.repeat(100)}${i}`);
    const error = await model.run({ x_string: new Tensor('string', huge, [huge.length]) }).then(
      () => expect.unreachable('the worker should have run out of memory'),
      (e: unknown) => e as InprocError,
    );
    expect(error.code).toBe('WORKER_CRASHED');
    expect(error.message).toMatch(/memory/);
    const after = await model.run({ x_string: new Tensor('string', ['still', 'here'], [2]) });
    expect(after['y_string']!.data).toEqual(['still', 'here']);
    expect(model.stats().failures).toEqual({ WORKER_CRASHED: 1 });
    await model.dispose();
    expect(resources()).toEqual(before);
  });

  it('reports a model the workers cannot load, and bad isolation options', async () => {
    const before = resources();
    await expect(loadModel(new TextEncoder().encode('garbage'), { isolation: 'worker', format: 'onnx' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(loadModel(mlpModel(4), { isolation: 'process' as never })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(loadModel(mlpModel(4), { isolation: 'worker', workers: 0 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(resources()).toEqual(before);
  });
});
