import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, encodeNpy, isNpy, openRepository, parseNpy, randomFeeds, resources, type RepositoryEvent, type Signature } from 'inproc';
import { multiIoModel } from '@inproc/testkit/onnx/models';
import { answeredVersion, code, publish, tempRoot, versionModel, x4, zero, failure } from './helpers.js';

/** A `.npy` file as NumPy writes it (format 1.0, header padded to 64 bytes). */
function npy(descr: string, shape: readonly number[], data: Uint8Array, options: { fortran?: boolean; major?: number } = {}): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran === true ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const major = options.major ?? 1;
  const prefix = major === 1 ? 10 : 12;
  header = header.padEnd(Math.ceil((prefix + header.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(data, prefix + header.length);
  return out;
}

const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

let root: string;

beforeAll(async () => {
  root = await tempRoot('inproc-warmup-');
  const sample = npy('<f4', [1, 4], f32([1, 2, 3, 4]));
  await publish(root, 'zeros', 1, { model: versionModel(1), manifest: { warmup: { runs: 3 } } });
  await publish(root, 'random', 1, { model: versionModel(1), manifest: { warmup: { runs: 2, data: 'random', seed: 7, dynamicSize: 8 } } });
  await publish(root, 'npy', 1, { model: versionModel(1), manifest: { warmup: { samples: { x: 'warmup/x.npy' } } }, files: { 'warmup/x.npy': sample } });
  await publish(root, 'npy-v2', 1, { model: versionModel(1), manifest: { warmup: { samples: { x: 'x.npy' } } }, files: { 'x.npy': npy('<f4', [2, 4], f32([1, 2, 3, 4, 5, 6, 7, 8]), { major: 2 }) } });
  await publish(root, 'json', 1, {
    model: versionModel(1),
    manifest: { warmup: { runs: 4, samples: [{ x: 'a.json' }, { x: 'samples/b.json' }] } },
    files: { 'a.json': JSON.stringify({ dtype: 'float32', shape: [1, 4], data: [[1, 2, 3, 4]] }), 'samples/b.json': JSON.stringify({ dtype: 'float32', shape: [3, 4], file: 'b.raw' }), 'samples/b.raw': f32(new Array<number>(12).fill(0.5)) },
  });
  await publish(root, 'multi', 1, { model: multiIoModel(), manifest: { warmup: { data: 'random', runs: 2 } } });
  // Bad samples.
  const badSamples: Record<string, Uint8Array | string> = {
    truncated: sample.subarray(0, 20),
    'short-data': sample.subarray(0, sample.byteLength - 4),
    'big-endian': npy('>f4', [1, 4], f32([1, 2, 3, 4])),
    fortran: npy('<f4', [1, 4], f32([1, 2, 3, 4]), { fortran: true }),
    objects: npy('|O', [1], new Uint8Array(8)),
    version9: npy('<f4', [1, 4], f32([1, 2, 3, 4]), { major: 9 }),
    'json-dtype': JSON.stringify({ dtype: 'float', shape: [1, 4], data: [1, 2, 3, 4] }),
    'json-both': JSON.stringify({ dtype: 'float32', shape: [1, 4], data: [1, 2, 3, 4], file: 'x.raw' }),
    'json-count': JSON.stringify({ dtype: 'float32', shape: [1, 4], data: [1, 2, 3] }),
    'json-raw-escape': JSON.stringify({ dtype: 'float32', shape: [1, 4], file: '../../zeros/1/model.onnx' }),
    'json-garbage': 'not json',
    'wrong-shape': npy('<f4', [1, 3], f32([1, 2, 3])),
    'wrong-dtype': npy('<i4', [1, 4], new Uint8Array(16)),
  };
  for (const [name, content] of Object.entries(badSamples)) {
    await publish(root, `bad-${name}`, 1, { model: versionModel(1), manifest: { warmup: { samples: { x: 'x.sample' } } }, files: { 'x.sample': content } });
  }
  await publish(root, 'bad-missing', 1, { model: versionModel(1), manifest: { warmup: { samples: { x: 'nope.npy' } } } });
  await publish(root, 'bad-input-name', 1, { model: versionModel(1), manifest: { warmup: { samples: { z: 'x.npy' } } }, files: { 'x.npy': sample } });
  await publish(root, 'plain', 1, { model: versionModel(1) });
  await publish(root, 'no-warmup', 1, { model: versionModel(1), manifest: { warmup: false } });
});

afterEach(() => {
  expect(resources()).toEqual(zero);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Loads a model and returns its load event and how many runs its model saw. */
async function warmed(name: string, options: Parameters<typeof openRepository>[1] = {}): Promise<{ runs: number; requests: number }> {
  await using repo = await openRepository(root, options);
  const loads: RepositoryEvent[] = [];
  repo.on('load', (e) => loads.push(e));
  await using lease = await repo.get(name);
  const event = loads[0];
  if (event?.type !== 'load') throw new Error('no load event');
  return { runs: event.warmupRuns, requests: lease.stats().requests };
}

describe('warm-up before a version is served', () => {
  it('zeros, N times (from the manifest)', async () => {
    expect(await warmed('zeros')).toEqual({ runs: 3, requests: 3 });
  });

  it('seeded random data with a chosen dynamic size', async () => {
    expect(await warmed('random')).toEqual({ runs: 2, requests: 2 });
    expect(await warmed('multi')).toEqual({ runs: 2, requests: 2 }); // float32, int64 and bool inputs
  });

  it('sample files: .npy (format 1 and 2) and JSON (inline and raw), cycling through sample sets', async () => {
    expect(await warmed('npy')).toEqual({ runs: 1, requests: 1 });
    expect(await warmed('npy-v2')).toEqual({ runs: 1, requests: 1 });
    expect(await warmed('json')).toEqual({ runs: 4, requests: 4 });
  });

  it('repository options give a default; the manifest overrides it; per-model options override both', async () => {
    expect(await warmed('plain', { warmup: 2 })).toEqual({ runs: 2, requests: 2 });
    expect(await warmed('zeros', { warmup: 2 })).toEqual({ runs: 3, requests: 3 });
    expect(await warmed('no-warmup', { warmup: 2 })).toEqual({ runs: 0, requests: 0 });
    expect(await warmed('zeros', { warmup: 2, models: { zeros: { warmup: { runs: 5, data: 'random' } } } })).toEqual({ runs: 5, requests: 5 });
    expect(await warmed('plain')).toEqual({ runs: 0, requests: 0 });
  });

  const invalid = ['truncated', 'short-data', 'big-endian', 'fortran', 'objects', 'version9', 'json-dtype', 'json-both', 'json-count', 'json-garbage', 'wrong-shape', 'wrong-dtype', 'input-name'];
  for (const name of invalid) {
    it(`a bad sample file is MODEL_INVALID and the version is not served: ${name}`, async () => {
      await using repo = await openRepository(root);
      const error = await failure(repo.get(`bad-${name}`));
      expect(error).toBeInstanceOf(InprocError);
      expect(error.code).toBe('MODEL_INVALID');
      expect(repo.stats()).toMatchObject({ models: 0, loadFailures: 1 });
    });
  }

  it('a missing sample is MODEL_NOT_FOUND; a raw file escaping the version is PATH_OUTSIDE_REPOSITORY', async () => {
    await using repo = await openRepository(root);
    expect(await code(repo.get('bad-missing'))).toBe('MODEL_NOT_FOUND');
    expect(await code(repo.get('bad-json-raw-escape'))).toBe('PATH_OUTSIDE_REPOSITORY');
  });

  it('a served model answers normally after warm-up', async () => {
    await using repo = await openRepository(root);
    expect(answeredVersion(await repo.run('npy', x4()))).toBe(1);
  });
});

describe('warm-up data', () => {
  const signature: Signature = {
    inputs: [
      { name: 'f', dtype: 'float32', shape: ['batch', 3] },
      { name: 'i', dtype: 'int64', shape: [null, 2] },
      { name: 'b', dtype: 'bool', shape: [4] },
      { name: 'h', dtype: 'float16', shape: [2] },
      { name: 's', dtype: 'string', shape: [2] },
    ],
    outputs: [],
  };

  it('randomFeeds is seeded, fills every dtype within its documented range, and sizes dynamic dimensions', () => {
    const a = randomFeeds(signature, { seed: 3, dynamicSize: 5 });
    const b = randomFeeds(signature, { seed: 3, dynamicSize: 5 });
    const c = randomFeeds(signature, { seed: 4, dynamicSize: 5 });
    expect(a['f']!.shape).toEqual([5, 3]);
    expect(a['i']!.shape).toEqual([5, 2]);
    expect([...(a['f']!.data as Float32Array)]).toEqual([...(b['f']!.data as Float32Array)]);
    expect([...(a['f']!.data as Float32Array)]).not.toEqual([...(c['f']!.data as Float32Array)]);
    expect([...(a['f']!.data as Float32Array)].every((v) => v >= 0 && v < 1)).toBe(true);
    expect([...(a['i']!.data as BigInt64Array)].every((v) => v === 0n || v === 1n)).toBe(true);
    expect([...(a['b']!.data as Uint8Array)].every((v) => v === 0 || v === 1)).toBe(true);
    expect([...(a['h']!.data as Uint16Array)].every((v) => v < 0x3c00)).toBe(true); // below 1.0 in half precision
    expect((a['s']!.data as string[]).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
  });

  it('parseNpy reads what NumPy writes', () => {
    const t = parseNpy(npy('<i8', [3], new Uint8Array(new BigInt64Array([1n, -2n, 3n]).buffer)));
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([3]);
    expect([...(t.data as BigInt64Array)]).toEqual([1n, -2n, 3n]);
    const scalar = parseNpy(npy('|b1', [], new Uint8Array([1])));
    expect(scalar.shape).toEqual([]);
    expect(isNpy(new Uint8Array([1, 2, 3]))).toBe(false);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]))).toThrow(InprocError);
  });
});

describe('encodeNpy', () => {
  it('writes .npy files that parseNpy reads back exactly, for every rank', () => {
    for (const shape of [[], [5], [2, 3], [1, 2, 3, 4]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 1);
      const bytes = encodeNpy(shape, data);
      expect(isNpy(bytes)).toBe(true);
      expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
      const t = parseNpy(bytes);
      expect(t.dtype).toBe('float32');
      expect(t.shape).toEqual(shape);
      expect([...(t.data as Float32Array)]).toEqual([...data]);
    }
  });
});
