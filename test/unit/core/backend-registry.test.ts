/**
 * Registry behaviour with small in-test backends (plugins written against the public
 * Backend interface; the real backends are exercised by the conformance suite).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InprocError, Tensor, hasBackend, listBackends, loadModel, registerBackend, resources, unregisterBackend } from '@inproc/core';
import { type Backend, type BackendSession } from '@inproc/core/backend';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { failure } from '../../helpers/errors.js';

const onnx = mlpModel(4);
const registered: string[] = [];

interface Spy {
  availabilityChecks: number;
  loads: string[];
}

function backend(name: string, options: { priority?: number; devices?: string[]; available?: boolean | Error; fail?: InprocError; formats?: Backend['formats'] } = {}): Backend & { spy: Spy } {
  const spy: Spy = { availabilityChecks: 0, loads: [] };
  const b: Backend & { spy: Spy } = {
    spy,
    name,
    priority: options.priority ?? 0,
    formats: options.formats ?? ['onnx'],
    devices: options.devices ?? ['cpu'],
    isAvailable() {
      spy.availabilityChecks++;
      if (options.available instanceof Error) throw options.available;
      return options.available ?? true;
    },
    async load(_source, load) {
      spy.loads.push(load.device);
      if (options.fail) throw options.fail;
      const session: BackendSession = {
        signature: { inputs: [{ name: 'x', dtype: 'float32', shape: [null] }], outputs: [{ name: 'y', dtype: 'float32', shape: [null] }] },
        device: load.device === 'auto' ? (options.devices ?? ['cpu'])[0]! : load.device,
        bytes: 10,
        concurrency: 1,
        metadata: { by: name },
        async run(feeds) {
          return { y: new Tensor('float32', feeds['x']!.data as Float32Array, feeds['x']!.shape) };
        },
        async dispose() {},
      };
      return session;
    },
  };
  return b;
}

function use(b: Backend): void {
  registerBackend(b);
  registered.push(b.name);
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterBackend(name);
});

describe('backend registry', () => {
  it('picks the highest-priority backend that loads the format', async () => {
    const low = backend('low', { priority: 1 });
    const high = backend('high', { priority: 9 });
    const tf = backend('tf', { priority: 99, formats: ['tfjs-graph'] });
    use(low);
    use(high);
    use(tf);
    expect(listBackends().map((b) => b.name)).toEqual(['tf', 'high', 'low']);
    await using model = await loadModel(onnx);
    expect(model.backend).toBe('high');
    expect(low.spy.loads).toEqual([]);
    expect(tf.spy.loads).toEqual([]);
  });

  it('initialises a backend lazily and once, and skips a failed one with its reason', async () => {
    const broken = backend('broken', { priority: 9, available: new InprocError('BACKEND_UNAVAILABLE', 'install broken-runtime') });
    const ok = backend('ok', { priority: 1 });
    use(broken);
    use(ok);
    expect(broken.spy.availabilityChecks).toBe(0);
    for (let i = 0; i < 3; i++) {
      await using model = await loadModel(onnx);
      expect(model.backend).toBe('ok');
    }
    expect(broken.spy.availabilityChecks).toBe(1);
    expect(ok.spy.availabilityChecks).toBe(1);
  });

  it('lists every failure in one BACKEND_UNAVAILABLE error', async () => {
    use(backend('missing-peer', { priority: 3, available: new InprocError('BACKEND_UNAVAILABLE', 'needs the package some-runtime: npm install some-runtime') }));
    use(backend('says-no', { priority: 2, available: false }));
    use(backend('no-device', { priority: 1, fail: new InprocError('DEVICE_UNAVAILABLE', 'no adapter') }));
    use(backend('tf-only', { formats: ['tfjs-graph'] }));
    const e = await failure(loadModel(onnx));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('missing-peer: needs the package some-runtime: npm install some-runtime');
    expect(e.message).toContain('says-no: not available in this environment');
    expect(e.message).toContain('no-device: no adapter');
    expect(e.message).toContain('tf-only: does not load onnx models');
    expect((e.details?.['failures'] as unknown[]).length).toBe(4);
  });

  it('says when no backend is registered at all', async () => {
    for (const b of listBackends()) expect(hasBackend(b.name)).toBe(true);
    const e = await failure(loadModel(onnx));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('no backends are registered');
  });

  it('honours an explicit backend list in the given order and reports unknown names', async () => {
    use(backend('a', { priority: 9 }));
    use(backend('b', { priority: 1 }));
    await using model = await loadModel(onnx, { backend: ['b', 'a'] });
    expect(model.backend).toBe('b');
    const e = await failure(loadModel(onnx, { backend: 'nope' }));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('no backend named "nope" is registered (registered: a, b)');
    expect((await failure(loadModel(onnx, { backend: [] }))).code).toBe('INPUT_INVALID');
  });

  it('restricts candidates to the device and says DEVICE_UNAVAILABLE when none has it', async () => {
    const cpu = backend('cpu-only', { priority: 9, devices: ['cpu'] });
    const gpu = backend('gpu', { priority: 1, devices: ['cpu', 'webgpu'] });
    use(cpu);
    use(gpu);
    await using model = await loadModel(onnx, { device: 'webgpu' });
    expect(model.backend).toBe('gpu');
    expect(model.device).toBe('webgpu');
    const e = await failure(loadModel(onnx, { device: 'cuda' }));
    expect(e.code).toBe('DEVICE_UNAVAILABLE');
    expect(e.message).toContain('cpu-only: has no device "cuda"');
  });

  it('names the failure of the backend that has the device, not the backends that lack it', async () => {
    // In a page: onnx-web's .wasm is missing, and kserve has no device "wasm" (issue 23).
    use(backend('web', { priority: 9, devices: ['wasm', 'webgpu'], fail: new InprocError('BACKEND_UNAVAILABLE', 'the WASM runtime could not be started (GET http://localhost/x.wasm answered HTTP 404)') }));
    use(backend('remote', { priority: 1, devices: ['remote'] }));
    const e = await failure(loadModel(onnx, { device: 'wasm' }));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('web: the WASM runtime could not be started (GET http://localhost/x.wasm answered HTTP 404)');
    expect(e.message).not.toContain('remote');
    // The details still hold every backend's reason.
    expect((e.details as { failures: { backend: string }[] }).failures.map((f) => f.backend)).toEqual(['remote', 'web']);
  });

  it('stops at a model error instead of trying the next backend', async () => {
    const first = backend('strict', { priority: 9, fail: new InprocError('MODEL_INVALID', 'bad protobuf') });
    const second = backend('second', { priority: 1 });
    use(first);
    use(second);
    expect((await failure(loadModel(onnx))).code).toBe('MODEL_INVALID');
    expect(second.spy.loads).toEqual([]);
  });

  it('refuses a different backend under a taken name unless replacing, and ignores re-registering the same one', () => {
    const one = backend('dup');
    use(one);
    registerBackend(one);
    const e = (() => {
      try {
        registerBackend(backend('dup'));
      } catch (error) {
        return error as InprocError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('INPUT_INVALID');
    const two = backend('dup', { priority: 5 });
    registerBackend(two, { replace: true });
    expect(listBackends().find((b) => b.name === 'dup')).toBe(two);
    expect(() => registerBackend({ name: '' } as Backend)).toThrow(InprocError);
  });

  it('is shared through globalThis, so duplicate copies of core see one registry', () => {
    use(backend('shared'));
    const key = Symbol.for('inproc.backends');
    const shared = (globalThis as unknown as Record<symbol, { entries: Map<string, unknown> }>)[key];
    expect(shared?.entries.has('shared')).toBe(true);
  });

  it('counts the model and its session in resources()', async () => {
    use(backend('counted'));
    const before = resources();
    const model = await loadModel(onnx);
    expect(resources()).toEqual({ models: before.models + 1, sessions: before.sessions + 1, tensors: 0, bytes: before.bytes + 10 });
    await model.dispose();
    expect(resources()).toEqual(before);
  });
});
