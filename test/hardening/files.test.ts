/**
 * The threat model's file rules (README "Threat model"): a manifest is data and carries only
 * backend options that name no file, code or network location; ONNX external data is read
 * from the model's own directory only; only regular files are read, with size limits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InprocError, Tensor, loadModel, openRepository, resources } from 'inproc';
import { externalDataModel, mlpModel } from '@inproc/testkit/onnx/models';
import { publish, tempRoot } from '../repository/helpers.js';

const settles = <T>(promise: Promise<T>, ms = 15_000): Promise<T | 'hung'> => Promise.race([promise, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref())]);

const floats = (...values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
const x4 = (): Tensor => new Tensor('float32', new Float32Array(4), [4]);

async function modelDir(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'inproc-ext-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

const mkfifo = (path: string): void => void execFileSync('mkfifo', [path]);

describe('ONNX external data', () => {
  it('loads a model whose external data lies beside it, from its path, with the right values', async () => {
    const dir = await modelDir({ 'model.onnx': externalDataModel('weights.bin'), 'weights.bin': floats(1, 2, 3, 4) });
    for (const source of [join(dir, 'model.onnx'), dir]) {
      await using model = await loadModel(source);
      expect(Array.from((await model.run({ x: x4() }))['y']!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    }
    await using isolated = await loadModel(join(dir, 'model.onnx'), { isolation: 'worker' });
    expect(Array.from((await isolated.run({ x: x4() }))['y']!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it("onnx-web's Node build, which cannot mount external data, says so with a code and names onnx-node", async () => {
    const dir = await modelDir({ 'model.onnx': externalDataModel('weights.bin'), 'weights.bin': floats(5, 6, 7, 8) });
    const error = await loadModel(join(dir, 'model.onnx'), { backend: 'onnx-web', device: 'wasm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InprocError);
    expect((error as InprocError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as InprocError).message).toMatch(/onnx-node/);
    // With both backends allowed, the registry moves on to onnx-node, which loads it.
    await using model = await loadModel(join(dir, 'model.onnx'), { backend: ['onnx-web', 'onnx-node'] });
    expect(model.backend).toBe('onnx-node');
    expect(Array.from((await model.run({ x: x4() }))['y']!.data as Float32Array)).toEqual([5, 6, 7, 8]);
  });

  it('never reads external data from the working directory: a model given as bytes is refused', async () => {
    // The attack: bytes whose external data names a file that happens to sit in the process's cwd.
    const cwd = await modelDir({ 'secret.bin': floats(7, 7, 7, 7) });
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const error = await loadModel(externalDataModel('secret.bin')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InprocError);
      expect((error as InprocError).code).toBe('MODEL_INVALID');
      expect((error as InprocError).message).toMatch(/external data/);
      expect((error as InprocError).message).toMatch(/secret\.bin/);
    } finally {
      process.chdir(previous);
    }
  });

  it('refuses locations outside the model directory: ../, absolute, a symlink out, a FIFO, a missing file', async () => {
    const outside = await modelDir({ 'secret.bin': floats(7, 7, 7, 7) });
    const dir = await modelDir({
      'up.onnx': externalDataModel(`../${outside.split('/').at(-1)!}/secret.bin`),
      'abs.onnx': externalDataModel(join(outside, 'secret.bin')),
      'link.onnx': externalDataModel('link.bin'),
      'fifo.onnx': externalDataModel('fifo.bin'),
      'missing.onnx': externalDataModel('nowhere.bin'),
    });
    await symlink(join(outside, 'secret.bin'), join(dir, 'link.bin'));
    mkfifo(join(dir, 'fifo.bin'));
    const before = resources();
    for (const name of ['up', 'abs', 'link', 'fifo', 'missing']) {
      const error = await settles(loadModel(join(dir, `${name}.onnx`)).then(() => 'loaded', (e: unknown) => e));
      expect(error, name).toBeInstanceOf(InprocError);
      expect((error as InprocError).code, name).toBe(name === 'missing' ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID');
    }
    expect(resources()).toEqual(before);
  });
});

describe('non-regular files', () => {
  it("a FIFO (or a directory) at the 'fastest' decision cache path is not read: the load measures again, and an aborted load ends", async () => {
    const before = resources();
    const cache = await mkdtemp(join(tmpdir(), 'inproc-fifo-cache-'));
    const model = mlpModel(16);
    const options = { device: 'fastest', deviceChoice: { cache, budgetMs: 5 } } as const;
    await (await loadModel(model, options)).dispose();
    const [file] = (await readdir(cache)).filter((f) => f.endsWith('.json'));
    expect(file).toBeDefined();
    const path = join(cache, file!);
    await rm(path);
    mkfifo(path);
    // Measured again, not hung on the FIFO (a blocking read would wait for a writer for ever).
    const measured = await settles(loadModel(model, options));
    expect(measured).not.toBe('hung');
    const loaded = measured as Awaited<ReturnType<typeof loadModel>>;
    expect(loaded.metadata['deviceChoice']).toBe('measured');
    await loaded.dispose();
    // The new decision replaced the FIFO with a regular file; a FIFO planted again, the load's own signal aborts it.
    await rm(path);
    mkfifo(path);
    const aborted = await settles(loadModel(model, { ...options, signal: AbortSignal.abort() }).then(() => 'loaded', (e: unknown) => e));
    expect(InprocError.is(aborted, 'ABORTED')).toBe(true);
    await rm(path);
    await mkdir(path);
    const again = await settles(loadModel(model, options));
    expect((again as Awaited<ReturnType<typeof loadModel>>).metadata['deviceChoice']).toBe('measured');
    await (again as Awaited<ReturnType<typeof loadModel>>).dispose();
    expect(resources()).toEqual(before);
  });

  it('a FIFO given to loadModel is MODEL_INVALID at once, not a hang', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inproc-fifo-'));
    mkfifo(join(dir, 'model.onnx'));
    for (const source of [join(dir, 'model.onnx'), dir]) {
      const result = await settles(loadModel(source).then(() => 'loaded', (e: unknown) => e));
      expect(result, source).toBeInstanceOf(InprocError);
      expect((result as InprocError).code).toBe('MODEL_INVALID');
      expect((result as InprocError).message).toMatch(/regular file/);
    }
  });

  it('a FIFO as a manifest, labels file or warm-up sample rejects that version with MODEL_INVALID naming it', async () => {
    const root = await tempRoot();
    const manifestDir = await publish(root, 'manifest', 1, { model: mlpModel(4) });
    mkfifo(join(manifestDir, 'inproc.json'));
    await publish(root, 'labels', 1, { model: mlpModel(4), manifest: { labels: 'labels.txt', postprocess: [{ name: 'top-k', params: { k: 1 } }] } });
    mkfifo(join(root, 'labels', '1', 'labels.txt'));
    await publish(root, 'sample', 1, { model: mlpModel(4), manifest: { warmup: { samples: { x: 'x.npy' } } } });
    mkfifo(join(root, 'sample', '1', 'x.npy'));
    await using repo = await openRepository(root);
    for (const [name, file] of [['manifest', 'inproc.json'], ['labels', 'labels.txt'], ['sample', 'x.npy']] as const) {
      const error = await settles(repo.get(name).then(() => 'loaded', (e: unknown) => e));
      expect(error, name).toBeInstanceOf(InprocError);
      expect((error as InprocError).code, name).toBe('MODEL_INVALID');
      expect((error as InprocError).message, name).toContain(file);
    }
  });
});

describe('manifests stay data', () => {
  it('refuses backend options that name files or code, naming the field; nothing is written', async () => {
    const root = await tempRoot();
    const out = await mkdtemp(join(tmpdir(), 'inproc-out-'));
    const hostile: Record<string, unknown>[] = [
      { optimizedModelFilePath: join(out, 'optimized.onnx') },
      { enableProfiling: true, profileFilePrefix: join(out, 'profile') },
      { wasmPaths: './' },
      { executionProviders: [{ name: 'tensorrt', trtEngineCachePath: out }] },
      { extra: { session: { save_model_format: 'ORT' } } },
    ];
    for (const [i, backendOptions] of hostile.entries()) await publish(root, `m${i}`, 1, { model: mlpModel(4), manifest: { backendOptions } });
    await using repo = await openRepository(root);
    for (const [i, backendOptions] of hostile.entries()) {
      const error = await repo.get(`m${i}`).then(() => 'loaded', (e: unknown) => e);
      expect(error, JSON.stringify(backendOptions)).toBeInstanceOf(InprocError);
      expect((error as InprocError).code).toBe('MODEL_INVALID');
      expect((error as InprocError).message).toMatch(/backendOptions\.\w+/);
    }
    expect(await readdir(out)).toEqual([]);
  });

  it('takes safe options from a manifest, and unsafe ones only where the repository allows them', async () => {
    const root = await tempRoot();
    const out = await mkdtemp(join(tmpdir(), 'inproc-out-'));
    const optimized = join(out, 'optimized.onnx');
    await publish(root, 'safe', 1, { model: mlpModel(4), manifest: { backendOptions: { intraOpNumThreads: 1, graphOptimizationLevel: 'basic', executionProviders: ['cpu'] } } });
    await publish(root, 'opted', 1, { model: mlpModel(4), manifest: { backendOptions: { optimizedModelFilePath: optimized } } });
    {
      await using repo = await openRepository(root);
      await using lease = await repo.get('safe');
      expect(lease.signature.inputs[0]!.name).toBe('x');
    }
    await using trusting = await openRepository(root, { manifestBackendOptions: ['optimizedModelFilePath'] });
    await using lease = await trusting.get('opted');
    expect(lease.signature.inputs[0]!.name).toBe('x');
    expect(existsSync(optimized)).toBe(true);
  });

  it('a manifest nested 60,000 levels deep or a warm-up dimension of 2^40 is MODEL_INVALID naming the field', async () => {
    const root = await tempRoot();
    const deep = `{"metadata":${'{"a":'.repeat(60_000)}1${'}'.repeat(60_000)}}`;
    await publish(root, 'deep', 1, { model: mlpModel(4), manifest: deep });
    await publish(root, 'huge', 1, { model: mlpModel(4), manifest: { warmup: { runs: 1, dynamicSize: 2 ** 40 } } });
    await using repo = await openRepository(root);
    const deepError = (await repo.get('deep').catch((e: unknown) => e)) as InprocError;
    expect(deepError.code).toBe('MODEL_INVALID');
    expect(deepError.message).toMatch(/metadata/);
    const hugeError = (await repo.get('huge').catch((e: unknown) => e)) as InprocError;
    expect(hugeError.code).toBe('MODEL_INVALID');
    expect(hugeError.message).toMatch(/warmup\.dynamicSize/);
  });
});

describe('repository versions with external data', () => {
  it('serve from their own directory', async () => {
    const root = await tempRoot();
    await publish(root, 'ext', 1, { model: externalDataModel('w.bin'), files: { 'w.bin': floats(1, 2, 3, 4) } });
    await using repo = await openRepository(root);
    const out = await repo.run('ext', { x: x4() });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});
