/**
 * Fuzzing `Model.run` with generated feeds and options (seeded, so a failure replays):
 * every call either answers correctly (valid input) or rejects with a coded InprocError;
 * no mode is left wedged; resources return to zero. Runs in seconds.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, InprocError, type LoadOptions, Tensor, loadModel, resources } from 'inproc';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

const SIZE = 4;

/** mulberry32: small, seeded, good enough to pick cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  readonly label: string;
  readonly feeds: unknown;
  readonly options?: unknown;
  /** The input when the case is valid (the call must answer mlpReference of it). */
  readonly valid?: Float32Array;
  readonly rows?: number;
}

function makeCase(rnd: () => number): Case {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const rows = 1 + Math.floor(rnd() * 3);
  const values = Float32Array.from({ length: rows * SIZE }, () => rnd() * 2 - 1);
  const good = (): Tensor => new Tensor('float32', values.slice(), [rows, SIZE]);
  const kinds: (() => Case)[] = [
    () => ({ label: 'valid', feeds: { x: good() }, valid: values, rows }),
    () => ({ label: 'bare tensor', feeds: good(), valid: values, rows }),
    () => {
      const shared = new Float32Array(new SharedArrayBuffer(values.byteLength));
      shared.set(values);
      return { label: 'shared memory', feeds: { x: new Tensor('float32', shared, [rows, SIZE]) }, valid: values, rows };
    },
    () => ({ label: 'valid, timeout', feeds: { x: good() }, options: { timeoutMs: 60_000, priority: Math.floor(rnd() * 5) }, valid: values, rows }),
    () => ({ label: 'wrong dtype', feeds: { x: new Tensor('float64', Float64Array.from(values), [rows, SIZE]) } }),
    () => ({ label: 'wrong rank', feeds: { x: new Tensor('float32', values.slice(), [rows * SIZE]) } }),
    () => ({ label: 'wrong dim', feeds: { x: new Tensor('float32', new Float32Array(rows * (SIZE + 1)), [rows, SIZE + 1]) } }),
    () => ({ label: 'missing', feeds: {} }),
    () => ({ label: 'unexpected', feeds: { x: good(), z: good() } }),
    () => ({ label: 'not a tensor', feeds: { x: pick<unknown>([null, undefined, 1, 'x', [1, 2], {}, values, () => 0, Symbol('s')]) } }),
    () => ({ label: 'not feeds', feeds: pick<unknown>([null, undefined, 0, '', [], [good()], new Map(), Symbol('f')]) }),
    () => ({ label: 'proxy tensor', feeds: { x: new Proxy(good(), {}) } }),
    () => {
      const { proxy, revoke } = Proxy.revocable({ x: good() }, {});
      revoke();
      return { label: 'revoked proxy', feeds: proxy };
    },
    () => ({
      label: 'throwing getter',
      feeds: {
        get x(): Tensor {
          throw new RangeError('boom');
        },
      },
    }),
    () => ({ label: 'fake tensor', feeds: { x: Object.create(Tensor.prototype, { dtype: { value: 'float32' }, shape: { value: [rows, SIZE] }, size: { value: rows * SIZE } }) as unknown } }),
    () => ({ label: 'branded object', feeds: { x: { [Symbol.for('inproc.tensor')]: true, dtype: 'float32', shape: [rows, SIZE], size: rows * SIZE, disposed: false, data: new Float32Array(1) } } }),
    () => {
      const t = good();
      t.dispose();
      return { label: 'disposed', feeds: { x: t } };
    },
    () => {
      const t = good();
      const data = t.data as Float32Array;
      structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
      return { label: 'detached', feeds: { x: t } };
    },
    () => ({ label: 'inherited', feeds: Object.create({ x: good() }) as unknown }),
    () => ({ label: '__proto__ key', feeds: JSON.parse('{"__proto__": {"x": 1}}') as unknown }),
    () => ({ label: 'bad timeout', feeds: { x: good() }, options: { timeoutMs: pick([-1, Number.NaN, 2 ** 31, 2 ** 53, '1', Number.POSITIVE_INFINITY]) } }),
    () => ({ label: 'bad priority', feeds: { x: good() }, options: { priority: pick([Number.NaN, '1', Number.POSITIVE_INFINITY, {}]) } }),
    () => ({ label: 'bad outputs', feeds: { x: good() }, options: { outputs: pick<unknown>([[], ['nope'], 'y', [1], null]) } }),
    () => ({ label: 'bad signal', feeds: { x: good() }, options: { signal: pick<unknown>([{}, 1, 'abort']) } }),
    () => ({ label: 'aborted signal', feeds: { x: good() }, options: { signal: AbortSignal.abort() } }),
    () => ({ label: 'bad options', feeds: { x: good() }, options: pick<unknown>([null, 1, 'fast']) }),
  ];
  return pick(kinds)();
}

const MODES: readonly [string, LoadOptions, number][] = [
  ['in process', {}, 400],
  ['batching', { batching: { maxBatchSize: 8, maxDelayMs: 0 } }, 400],
  ['cache', { cache: { maxBytes: 1 << 16 } }, 400],
  ['worker', { isolation: 'worker', workers: 2 }, 150],
];
const CODES = new Set<string>(ErrorCodes);

describe('fuzzing Model.run', () => {
  it.each(MODES)('%s: valid calls answer correctly, bad ones reject with a code, the model keeps serving', async (mode, options, calls) => {
    const before = resources();
    const rnd = random(0x1bad5eed ^ mode.length);
    const model = await loadModel(mlpModel(SIZE), options);
    const cases = Array.from({ length: calls }, () => makeCase(rnd));
    // Concurrent in waves, so batches and queues form and bad members meet good ones.
    for (let i = 0; i < cases.length; i += 16) {
      const wave = cases.slice(i, i + 16);
      const settled = await Promise.allSettled(wave.map((c) => model.run(c.feeds as never, c.options as never)));
      settled.forEach((result, k) => {
        const c = wave[k]!;
        if (c.valid !== undefined) {
          expect(result.status, `${mode} #${i + k} ${c.label}: ${result.status === 'rejected' ? String(result.reason) : ''}`).toBe('fulfilled');
          const got = (result as PromiseFulfilledResult<Record<string, Tensor>>).value['y']!;
          expect(got.shape).toEqual([c.rows, SIZE]);
          const want = mlpReference(c.valid, c.rows!, SIZE);
          (got.data as Float32Array).forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(1e-4));
        } else {
          expect(result.status, `${mode} #${i + k} ${c.label} should have been refused`).toBe('rejected');
          const reason = (result as PromiseRejectedResult).reason as unknown;
          expect(reason, `${mode} #${i + k} ${c.label}: ${String(reason)}`).toBeInstanceOf(InprocError);
          expect(CODES.has((reason as InprocError).code)).toBe(true);
        }
      });
    }
    const x = Float32Array.from({ length: SIZE }, (_, j) => j / SIZE);
    const last = await model.run({ x: new Tensor('float32', x, [1, SIZE]) });
    expect(Array.from(last['y']!.data as Float32Array).map((v) => Math.round(v * 1e4))).toEqual(Array.from(mlpReference(x, 1, SIZE)).map((v) => Math.round(v * 1e4)));
    await model.dispose();
    expect(resources()).toEqual(before);
  });
});
