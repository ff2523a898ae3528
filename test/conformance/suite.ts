/**
 * The backend conformance suite. Every backend runs these checks against itself: in
 * Node through vitest (see `*.test.ts` beside this file) and in a browser page through
 * the same list. It depends on nothing but the public API handed in through the
 * context, and throws plain `Error`s, so it runs anywhere.
 */
import type { DType, ErrorCode, Model, ModelFormat, ResourceCounts, Tensor as TensorType, loadModel as LoadModel, LoadOptions } from 'inproc';

/**
 * The fixture models. Backends of another format build the same models in it (same
 * names, dtypes, symbolic dimension names and weights; see @inproc/testkit/tfjs/models).
 */
export interface ConformanceFixtures {
  /** `mlpModel(256)` from @inproc/testkit/onnx/models (or the same model in the backend's format). */
  readonly mlp: Uint8Array;
  readonly multiIo: Uint8Array;
  readonly identity: Uint8Array;
  readonly fixed: Uint8Array;
  readonly failing: Uint8Array;
  readonly slow: Uint8Array;
}

export interface ConformanceContext {
  readonly loadModel: typeof LoadModel;
  readonly Tensor: typeof TensorType;
  readonly resources: () => ResourceCounts;
  readonly backend: string;
  /** The device to ask for; the model must report it (or, for 'auto', one of `devices`). */
  readonly device: string;
  readonly devices: readonly string[];
  readonly fixtures: ConformanceFixtures;
  /** `mlpReference` (plain TypeScript MLP) for numerics. */
  readonly mlpReference: (x: Float32Array, batch: number) => Float32Array;
  /** Dtypes the backend supports end to end (identity round trip). */
  readonly dtypes: readonly DType[];
  /** Extra load options (e.g. backendOptions) for every load. */
  readonly loadOptions?: LoadOptions;
  /** The format of the fixtures, which loaded models must report. Default `'onnx'`. */
  readonly format?: ModelFormat;
  /**
   * Load options per fixture, for formats whose model file does not carry its weights
   * (a TF.js `model.json` given as bytes gets its shards through `backendOptions.weights`).
   */
  readonly fixtureOptions?: Partial<Record<keyof ConformanceFixtures, LoadOptions>>;
  /**
   * The integer dtype of the multi-IO model's `ids` input and `next` output. Default
   * `'int64'` (checked with values beyond 2^32); `'int32'` for runtimes without int64
   * (TF.js), checked with values near 2^31.
   */
  readonly idsDtype?: 'int64' | 'int32';
  /** Whether a loaded model holds memory in this process (`resources().bytes`). Default true; false for a remote backend, whose model lives on its server. */
  readonly holdsBytes?: boolean;
}

export interface ConformanceCheck {
  readonly name: string;
  run(ctx: ConformanceContext): Promise<void>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<Error> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    const got = (error as { code?: unknown }).code;
    assert(got === code, `expected error code ${code}, got ${String(got)}: ${(error as Error).message}`);
    assert((error as Error).name === 'InprocError', `expected an InprocError, got ${(error as Error).name}`);
    return error as Error;
  }
  throw new Error(`expected error code ${code}, but the call succeeded`);
}

function sameCounts(a: ResourceCounts, b: ResourceCounts, what: string): void {
  assert(JSON.stringify(a) === JSON.stringify(b), `${what}: resources() ${JSON.stringify(a)} should be ${JSON.stringify(b)}`);
}

async function load(ctx: ConformanceContext, fixture: keyof ConformanceFixtures, extra: LoadOptions = {}, bytes: Uint8Array = ctx.fixtures[fixture]): Promise<Model> {
  return ctx.loadModel(bytes, { backend: ctx.backend, device: ctx.device, ...ctx.loadOptions, ...ctx.fixtureOptions?.[fixture], ...extra });
}

/** The multi-IO model's `ids` values, the `next` it must return, and the storage it must come in. */
function idsCase(ctx: ConformanceContext): { dtype: 'int64' | 'int32'; values: readonly (number | bigint)[]; next: string; storage: string } {
  if (ctx.idsDtype === 'int32') return { dtype: 'int32', values: [1, 2, 3, 2 ** 30, -5, 0], next: `2,3,4,${2 ** 30 + 1},-4,1`, storage: 'Int32Array' };
  return { dtype: 'int64', values: [1, 2, 3, 2n ** 40n, -5, 0], next: `2,3,4,${2n ** 40n + 1n},-4,1`, storage: 'BigInt64Array' };
}

function zeroIds(ctx: ConformanceContext, shape: readonly number[]): TensorType {
  const size = shape.reduce((a, b) => a * b, 1);
  return ctx.idsDtype === 'int32' ? new ctx.Tensor('int32', new Int32Array(size), shape) : new ctx.Tensor('int64', new BigInt64Array(size), shape);
}

function input(ctx: ConformanceContext, batch: number): TensorType<'float32'> {
  const data = new Float32Array(batch * 256);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 2;
  return new ctx.Tensor('float32', data, [batch, 256]);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths ${a.length} and ${b.length} differ`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export const conformanceChecks: readonly ConformanceCheck[] = [
  {
    name: 'loads from bytes and reports backend, device, format and signature',
    async run(ctx) {
      const model = await load(ctx, 'mlp');
      try {
        assert(model.backend === ctx.backend, `backend ${model.backend}`);
        assert(ctx.device === 'auto' ? ctx.devices.includes(model.device) : model.device === ctx.device, `device ${model.device}`);
        assert(model.format === (ctx.format ?? 'onnx'), `format ${model.format}`);
        assert(!model.disposed, 'not disposed');
        const { inputs, outputs } = model.signature;
        assert(inputs.length === 1 && inputs[0]!.name === 'x' && inputs[0]!.dtype === 'float32', `inputs ${JSON.stringify(inputs)}`);
        assert(JSON.stringify(inputs[0]!.shape) === JSON.stringify(['batch', 256]), `input shape ${JSON.stringify(inputs[0]!.shape)}`);
        assert(outputs.length === 1 && outputs[0]!.name === 'y' && outputs[0]!.dtype === 'float32', `outputs ${JSON.stringify(outputs)}`);
      } finally {
        await model.dispose();
      }
    },
  },
  {
    name: 'computes the MLP like the reference at batch 1 and 3',
    async run(ctx) {
      await using model = await load(ctx, 'mlp');
      for (const batch of [1, 3]) {
        const x = input(ctx, batch);
        const { y } = await model.run({ x });
        assert(y !== undefined && y.dtype === 'float32', 'y is float32');
        assert(JSON.stringify(y.shape) === JSON.stringify([batch, 256]), `y shape ${JSON.stringify(y.shape)}`);
        const diff = maxDiff(y.data as Float32Array, ctx.mlpReference(x.data, batch));
        assert(diff < 1e-3, `max difference from reference ${diff}`);
      }
    },
  },
  {
    name: 'feeds a single-input model with a bare tensor',
    async run(ctx) {
      await using model = await load(ctx, 'mlp');
      const out = await model.run(input(ctx, 2));
      assert(JSON.stringify(out['y']?.shape) === '[2,256]', 'bare tensor ran');
    },
  },
  {
    name: 'runs several inputs and outputs with float32, int64 and bool, and honours outputs',
    async run(ctx) {
      await using model = await load(ctx, 'multiIo');
      const ids = idsCase(ctx);
      const feeds = {
        a: new ctx.Tensor('float32', [1, 2, 3, 4, 5, 6, 7, 8], [2, 4]),
        ids: new ctx.Tensor(ids.dtype, ids.values, [2, 3]),
        mask: new ctx.Tensor('bool', [true, false, true, false, false, true], [2, 3]),
      };
      const all = await model.run(feeds);
      assert(Object.keys(all).sort().join() === 'inverted,next,sum', `outputs ${Object.keys(all).join()}`);
      assert(JSON.stringify([...(all['sum']!.data as Float32Array)]) === '[2,4,6,8,10,12,14,16]', 'sum');
      const next = all['next']!.data as ArrayLike<unknown> & { [Symbol.toStringTag]: string };
      assert(all['next']!.dtype === ids.dtype && next[Symbol.toStringTag] === ids.storage, `next is ${ids.dtype} in a ${ids.storage}`);
      assert(Array.from(next).join() === ids.next, `next ${Array.from(next).join()}`);
      assert(all['inverted']!.dtype === 'bool' && [...(all['inverted']!.data as Uint8Array)].join() === '0,1,0,1,1,0', 'inverted');
      const some = await model.run(feeds, { outputs: ['next'] });
      assert(Object.keys(some).join() === 'next', `selected outputs ${Object.keys(some).join()}`);
      await expectCode(model.run(feeds, { outputs: ['nope'] }), 'INPUT_INVALID');
      await expectCode(model.run(feeds, { outputs: [] }), 'INPUT_INVALID');
    },
  },
  {
    name: 'round-trips every supported dtype exactly',
    async run(ctx) {
      await using model = await load(ctx, 'identity');
      const samples: Record<DType, readonly unknown[]> = {
        float32: [1.5, -2.25, 0],
        float16: [0x3c00, 0xc000, 0],
        float64: [Math.PI, -1e300, 0],
        int8: [-128, 127, 0],
        uint8: [0, 255, 7],
        int16: [-32768, 32767, 1],
        uint16: [0, 65535, 2],
        int32: [-2147483648, 2147483647, 3],
        uint32: [0, 4294967295, 4],
        int64: [-(2n ** 63n), 2n ** 63n - 1n, 5n],
        uint64: [0n, 2n ** 64n - 1n, 6n],
        bool: [true, false, true],
        string: ['héllo', '', 'wörld ✓'],
      };
      for (const dtype of ctx.dtypes) {
        const x = new ctx.Tensor(dtype, samples[dtype] as never, [3]);
        const out = await model.run({ ...Object.fromEntries(ctx.dtypes.map((d) => [`x_${d}`, d === dtype ? x : new ctx.Tensor(d, samples[d] as never, [3])])) }, { outputs: [`y_${dtype}`] });
        const y = out[`y_${dtype}`]!;
        assert(y.dtype === dtype, `${dtype}: output dtype ${y.dtype}`);
        const expected = Array.from(x.data as ArrayLike<unknown>).map(String).join();
        const got = Array.from(y.data as ArrayLike<unknown>).map(String).join();
        assert(got === expected, `${dtype}: got ${got}, expected ${expected}`);
      }
    },
  },
  {
    name: 'rejects bad feeds with the right code and stays usable',
    async run(ctx) {
      await using model = await load(ctx, 'multiIo');
      const a = new ctx.Tensor('float32', new Float32Array(8), [2, 4]);
      const ids = zeroIds(ctx, [2, 3]);
      const mask = new ctx.Tensor('bool', new Uint8Array(6), [2, 3]);
      await expectCode(model.run({ a, ids }), 'INPUT_MISSING');
      await expectCode(model.run({ a, ids, mask, extra: a }), 'INPUT_UNEXPECTED');
      await expectCode(model.run({ a: new ctx.Tensor('float64', new Float64Array(8), [2, 4]), ids, mask }), 'INPUT_DTYPE');
      await expectCode(model.run({ a: new ctx.Tensor('float32', new Float32Array(8), [8]), ids, mask }), 'INPUT_SHAPE');
      await expectCode(model.run({ a: new ctx.Tensor('float32', new Float32Array(10), [2, 5]), ids, mask }), 'INPUT_SHAPE');
      const err = await expectCode(model.run({ a, ids: zeroIds(ctx, [3, 3]), mask }), 'INPUT_SHAPE');
      assert(err.message.includes('batch'), `message names the symbolic dimension: ${err.message}`);
      await expectCode(model.run({ a: [1, 2, 3] as never, ids, mask }), 'INPUT_INVALID');
      await expectCode(model.run(a), 'INPUT_INVALID');
      await expectCode(model.run(null as never), 'INPUT_INVALID');
      const ok = await model.run({ a, ids, mask });
      assert(ok['sum'] !== undefined, 'model still runs');
    },
  },
  {
    name: 'checks fixed dimensions',
    async run(ctx) {
      await using model = await load(ctx, 'fixed');
      const err = await expectCode(model.run(new ctx.Tensor('float32', new Float32Array(8), [2, 4])), 'INPUT_SHAPE');
      assert(err.message.includes('[2, 3]') && err.message.includes('[2, 4]'), `message says expected and given: ${err.message}`);
      const { y } = await model.run(new ctx.Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]));
      assert([...(y!.data as Float32Array)].join() === '2,4,6,8,10,12', 'x * 2');
    },
  },
  {
    name: 'wraps a run-time failure as RUN_FAILED and stays usable',
    async run(ctx) {
      await using model = await load(ctx, 'failing');
      const err = await expectCode(model.run(new ctx.Tensor('float32', [1, 2], [2])), 'RUN_FAILED');
      assert((err as { cause?: unknown }).cause !== undefined, 'RUN_FAILED carries the backend error as cause');
      const { y } = await model.run(new ctx.Tensor('float32', new Float32Array(15), [15]));
      assert(JSON.stringify(y!.shape) === '[3,5]', 'runs after a failure');
    },
  },
  {
    name: 'rejects corrupt and unknown model bytes',
    async run(ctx) {
      const before = ctx.resources();
      const format = ctx.format ?? 'onnx';
      const truncated = ctx.fixtures.mlp.subarray(0, Math.floor(ctx.fixtures.mlp.length / 2));
      await expectCode(load(ctx, 'mlp', { format }, truncated), 'MODEL_INVALID');
      await expectCode(load(ctx, 'mlp', {}, new TextEncoder().encode('definitely not a model')), 'FORMAT_UNKNOWN');
      await expectCode(load(ctx, 'mlp', {}, new Uint8Array(0)), 'MODEL_INVALID');
      const flipped = new Uint8Array(ctx.fixtures.mlp);
      for (let i = 20; i < flipped.length; i += 97) flipped[i] = 0xff;
      await expectCode(load(ctx, 'mlp', { format }, flipped), 'MODEL_INVALID');
      sameCounts(ctx.resources(), before, 'after failed loads');
    },
  },
  {
    name: 'disposes idempotently, refuses use after dispose, and returns resources',
    async run(ctx) {
      const before = ctx.resources();
      const model = await load(ctx, 'mlp');
      const during = ctx.resources();
      assert(during.models === before.models + 1 && during.sessions === before.sessions + 1, `one more model and session: ${JSON.stringify(during)}`);
      assert(ctx.holdsBytes === false || during.bytes > before.bytes, 'the session holds bytes');
      await model.run(input(ctx, 1));
      await Promise.all([model.dispose(), model.dispose()]);
      await model.dispose();
      assert(model.disposed, 'disposed flag');
      await expectCode(model.run(input(ctx, 1)), 'DISPOSED');
      sameCounts(ctx.resources(), before, 'after dispose');
    },
  },
  {
    name: 'dispose waits for calls already accepted',
    async run(ctx) {
      const before = ctx.resources();
      const model = await load(ctx, 'slow');
      const x = new ctx.Tensor('float32', new Float32Array(512).fill(0.01), [1, 512]);
      const runs = [model.run(x), model.run(x)];
      await model.dispose();
      const results = await Promise.all(runs);
      assert(results.every((r) => r['y']?.shape.join() === '1,512'), 'accepted runs completed');
      sameCounts(ctx.resources(), before, 'after dispose');
    },
  },
  {
    name: 'aborts and times out calls',
    async run(ctx) {
      await using model = await load(ctx, 'slow');
      const x = new ctx.Tensor('float32', new Float32Array(512), [1, 512]);
      const controller = new AbortController();
      controller.abort();
      await expectCode(model.run(x, { signal: controller.signal }), 'ABORTED');
      const first = model.run(x);
      const late = new AbortController();
      const queued = model.run(x, { signal: late.signal });
      late.abort();
      await expectCode(queued, 'ABORTED');
      await expectCode(model.run(x, { timeoutMs: 0 }), 'TIMEOUT');
      await first;
      await expectCode(model.run(x, { timeoutMs: -1 }), 'INPUT_INVALID');
    },
  },
  {
    name: 'keeps concurrent calls apart',
    async run(ctx) {
      await using model = await load(ctx, 'mlp');
      const inputs = Array.from({ length: 12 }, (_, i) => {
        const data = new Float32Array(256).map((_, j) => Math.cos(i * 31 + j));
        return new ctx.Tensor('float32', data, [1, 256]);
      });
      const outputs = await Promise.all(inputs.map((x) => model.run({ x })));
      outputs.forEach((out, i) => {
        const diff = maxDiff(out['y']!.data as Float32Array, ctx.mlpReference(inputs[i]!.data, 1));
        assert(diff < 1e-3, `call ${i} got another call's answer (diff ${diff})`);
      });
    },
  },
  {
    name: 'rejects a device the backend does not have',
    async run(ctx) {
      await expectCode(ctx.loadModel(ctx.fixtures.mlp, { backend: ctx.backend, device: 'no-such-device' }), 'DEVICE_UNAVAILABLE');
    },
  },
  {
    name: 'leaves resources where they were after 50 load/run/dispose cycles',
    async run(ctx) {
      const before = ctx.resources();
      for (let i = 0; i < 50; i++) {
        await using model = await load(ctx, 'multiIo');
        await model.run({
          a: new ctx.Tensor('float32', new Float32Array(4), [1, 4]),
          ids: zeroIds(ctx, [1, 3]),
          mask: new ctx.Tensor('bool', new Uint8Array(3), [1, 3]),
        });
      }
      sameCounts(ctx.resources(), before, 'after 50 cycles');
    },
  },
];
