/**
 * One AbortSignal shared by many calls: the caller's signal carries one listener of
 * Inproc's however many calls use it (Node warns with MaxListenersExceededWarning past
 * ten), every call still aborts when it fires, and calls that end detach from it.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Feeds, type Outputs, Tensor, loadModel, resources } from 'inproc';
import { mlpModel, slowModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';

const warnings: Error[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning);

beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** Process warnings are emitted on a later tick: let them arrive before looking. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('one AbortSignal shared by many calls', () => {
  it('100 concurrent runs on one signal: no MaxListenersExceededWarning, all abort when it fires', async () => {
    const before = resources();
    await using model = await loadModel(slowModel({ depth: 40 }), { backend: 'onnx-node' });
    const controller = new AbortController();
    const x = new Tensor('float32', new Float32Array(512), [1, 512]);
    const calls = Array.from({ length: 100 }, () => model.run({ x }, { signal: controller.signal }));
    // One listener of Inproc's on the caller's signal, not one per call.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const codes = await Promise.all(calls.map((c) => code(c)));
    // The first call may have been running already (onnxruntime cannot stop it): it completes or aborts; the rest abort.
    expect(codes.slice(1).every((c) => c === 'ABORTED')).toBe(true);
    expect(['ABORTED', 'resolved']).toContain(codes[0]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settle();
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    await model.dispose();
    expect(resources()).toEqual(before);
  });

  it('calls that complete detach from the shared signal, with and without a timeout', async () => {
    await using model = await loadModel(mlpModel(16), { backend: 'onnx-node' });
    const controller = new AbortController();
    const x = new Tensor('float32', new Float32Array(32), [2, 16]);
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => model.run({ x }, i % 2 === 0 ? { signal: controller.signal } : { signal: controller.signal, timeoutMs: 60_000 })));
    expect(outs.every((o) => o['y']!.shape[0] === 2)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // The signal still works for a later call after everyone detached.
    controller.abort();
    expect(await code(model.run({ x }, { signal: controller.signal }))).toBe('ABORTED');
    await settle();
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('calls on two models with processors share the one listener too', async () => {
    const same = <T>(input: T): T => input;
    await using a = await loadModel(slowModel({ depth: 20 }), { backend: 'onnx-node', preprocess: { name: 'same', process: same<Feeds> } });
    await using b = await loadModel(slowModel({ depth: 20 }), { backend: 'onnx-node', postprocess: { name: 'same', process: same<Outputs> } });
    const controller = new AbortController();
    const x = new Tensor('float32', new Float32Array(512), [1, 512]);
    const calls = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).run({ x }, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const codes = await Promise.all(calls.map((c) => code(c)));
    expect(codes.filter((c) => c === 'ABORTED').length).toBeGreaterThanOrEqual(28);
    expect(codes.every((c) => c === 'ABORTED' || c === 'resolved')).toBe(true);
    await settle();
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
