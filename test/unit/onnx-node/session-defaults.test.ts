/**
 * Process-wide onnxruntime session defaults (`setSessionDefaults`, which `inproc serve`
 * sets from --onnx-spinning): added as ORT config entries where a load's own options
 * leave them unset, never over them; seen by worker threads started afterwards; and real
 * sessions load and answer correctly with them, in the main thread and in workers.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Tensor, loadModel } from 'inproc';
import { setSessionDefaults, withSessionDefaults } from '@inproc/onnx-node';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

afterEach(() => setSessionDefaults({}));

describe('onnx-node session defaults', () => {
  it('add allow_spinning where the options leave it unset, keeping every other entry; the options win', () => {
    const options = { intraOpNumThreads: 2, extra: { session: { set_denormal_as_zero: '1' }, other: { x: '1' } } };
    expect(withSessionDefaults(options, {})).toBe(options);
    expect(withSessionDefaults({}, { intraOpSpinning: false })).toEqual({ extra: { session: { intra_op: { allow_spinning: '0' } } } });
    expect(withSessionDefaults(options, { intraOpSpinning: true })).toEqual({ intraOpNumThreads: 2, extra: { session: { set_denormal_as_zero: '1', intra_op: { allow_spinning: '1' } }, other: { x: '1' } } });
    const own = { extra: { session: { intra_op: { allow_spinning: '1' } } } };
    expect(withSessionDefaults(own, { intraOpSpinning: false })).toBe(own);
    // The defaults in force in this thread when none are given.
    expect(withSessionDefaults({})).toEqual({});
    setSessionDefaults({ intraOpSpinning: false });
    expect(withSessionDefaults({})).toEqual({ extra: { session: { intra_op: { allow_spinning: '0' } } } });
  });

  it('worker threads started after setSessionDefaults see them', async () => {
    setSessionDefaults({ intraOpSpinning: false });
    const url = import.meta.resolve('@inproc/onnx-node');
    const worker = new Worker(`import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage(JSON.stringify(m.withSessionDefaults({}))));`, { eval: true });
    const message = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(JSON.parse(message)).toEqual({ extra: { session: { intra_op: { allow_spinning: '0' } } } });
  });

  it('sessions load and run correctly with spinning off, in this thread and in worker threads', async () => {
    setSessionDefaults({ intraOpSpinning: false });
    const x = new Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), [1, 16]);
    const expected = mlpReference(x.data, 1, 16);
    for (const isolation of ['none', 'worker'] as const) {
      await using model = await loadModel(mlpModel(16), { format: 'onnx', backend: 'onnx-node', device: 'cpu', isolation });
      const { y } = (await model.run({ x })) as { y: Tensor };
      const got = y.data as Float32Array;
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    }
  });
});
