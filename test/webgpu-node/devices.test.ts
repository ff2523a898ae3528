/**
 * onnx-node's WebGPU device on SwiftShader: the adapter it reports, numerics against the
 * CPU provider, `device: 'gpu'` refusing the software adapter, `device: 'fastest'`
 * choosing the CPU and caching that decision, and the errors that name what is missing.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InprocError, Tensor, loadModel, openRepository, resources } from 'inproc';
import { vulkanAdapter } from '@inproc/onnx-node';
import { cnnModel } from '@inproc/testkit/onnx/cnn';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { code } from '../helpers/errors.js';
import { publish } from '../repository/helpers.js';
import { SWIFTSHADER_ICD, runChild, useSwiftShader } from './swiftshader.js';

const enabled = useSwiftShader();
const mlp = mlpModel(64);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inproc-device-choice-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(resources()).toEqual({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
});

const x = (batch: number, size = 64): Tensor => new Tensor('float32', new Float32Array(batch * size).map((_, i) => Math.cos(i)), [batch, size]);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.runIf(enabled)('onnx-node webgpu on SwiftShader', () => {
  it('reports its adapter: SwiftShader, a software one', async () => {
    await using model = await loadModel(mlp, { device: 'webgpu' });
    expect(model.device).toBe('webgpu');
    expect(model.metadata['adapter']).toMatchObject({ vendor: 'google', architecture: 'swiftshader', backend: 'vulkan', software: true, source: 'dawn' });
  });

  it('computes what the CPU provider computes (MLP and a CNN)', async () => {
    for (const [bytes, feeds] of [
      [mlp, { x: x(3) }],
      [cnnModel(), undefined],
    ] as const) {
      await using cpu = await loadModel(bytes, { device: 'cpu' });
      await using gpu = await loadModel(bytes, { device: 'webgpu' });
      const input = feeds ?? { [cpu.signature.inputs[0]!.name]: new Tensor('float32', new Float32Array(cpu.signature.inputs[0]!.shape.map((d) => (typeof d === 'number' ? d : 1)).reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)), cpu.signature.inputs[0]!.shape.map((d) => (typeof d === 'number' ? d : 1))) };
      const [a, b] = [await cpu.run(input), await gpu.run(input)];
      for (const name of Object.keys(a)) expect(maxDiff(a[name]!.data as Float32Array, b[name]!.data as Float32Array)).toBeLessThan(1e-5);
    }
  });

  it("'gpu' refuses the software adapter with DEVICE_UNAVAILABLE listing every device tried", async () => {
    const error = await loadModel(mlp, { device: 'gpu' }).catch((e: unknown) => e);
    expect(InprocError.is(error, 'DEVICE_UNAVAILABLE')).toBe(true);
    const message = (error as InprocError).message;
    for (const device of ['cuda', 'dml', 'coreml']) expect(message).toContain(`${device}: `);
    expect(message).toMatch(/webgpu: the adapter is a software one \(SwiftShader.*'gpu' never uses software adapters/);
  });

  it("'fastest' times cpu and webgpu, keeps the CPU, and caches the decision", async () => {
    const cache = join(dir, 'a');
    const first = await loadModel(mlp, { device: 'fastest', deviceChoice: { cache, budgetMs: 50 } });
    expect(first.device).toBe('cpu');
    expect(first.metadata['deviceChoice']).toBe('measured');
    const timings = first.metadata['deviceTimings'] as Record<string, number>;
    expect(Object.keys(timings)).toEqual(['cpu', 'webgpu']);
    expect(timings['cpu']).toBeGreaterThan(0);
    expect(timings['webgpu']).toBeGreaterThan(0);
    const { y } = await first.run({ x: x(1) });
    expect(y!.shape).toEqual([1, 64]);
    await first.dispose();

    const files = await readdir(cache);
    expect(files).toHaveLength(1);
    const again = await loadModel(mlp, { device: 'fastest', deviceChoice: { cache } });
    expect(again.device).toBe('cpu');
    expect(again.metadata['deviceChoice']).toBe('cache');
    expect(again.metadata['deviceTimings']).toEqual(timings);
    await again.dispose();

    // Another feed shape is another decision; a corrupt file is measured again and rewritten.
    await (await loadModel(mlp, { device: 'fastest', dims: { batch: 4 }, deviceChoice: { cache, budgetMs: 20 } })).dispose();
    expect(await readdir(cache)).toHaveLength(2);
    await writeFile(join(cache, files[0]!), '{ not json');
    const remeasured = await loadModel(mlp, { device: 'fastest', deviceChoice: { cache, budgetMs: 20 } });
    expect(remeasured.metadata['deviceChoice']).toBe('measured');
    await remeasured.dispose();
    expect(JSON.parse(await readFile(join(cache, files[0]!), 'utf8'))).toMatchObject({ device: 'cpu' });
  });

  it("'fastest' times the caller's warm-up feeds, measures every time with cache: false, and rejects bad feeds", async () => {
    const noCache = join(dir, 'none');
    await using model = await loadModel(mlp, { device: 'fastest', warmup: { feeds: { x: x(5) } }, deviceChoice: { cache: false, budgetMs: 20 } });
    expect(model.device).toBe('cpu');
    expect(model.metadata['deviceChoice']).toBe('measured');
    await expect(readdir(noCache)).rejects.toThrow();
    expect(await code(loadModel(mlp, { device: 'fastest', warmup: { feeds: { x: x(1, 63) } }, deviceChoice: { cache: false } }))).toBe('INPUT_SHAPE');
  });

  it("'fastest' works from a repository manifest", async () => {
    const root = join(dir, 'repo');
    await publish(root, 'mlp', 1, { model: mlp, manifest: { device: 'fastest' } });
    const previous = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(dir, 'xdg');
    try {
      await using repo = await openRepository(root);
      await using lease = await repo.get('mlp');
      expect(lease.device).toBe('cpu');
      expect(Object.keys(lease.metadata['deviceTimings'] as object)).toEqual(['cpu', 'webgpu']);
      expect(await readdir(join(dir, 'xdg', 'inproc'))).toHaveLength(1);
    } finally {
      if (previous === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = previous;
    }
  });

  it('rejects bad dims and deviceChoice options with INPUT_INVALID', async () => {
    for (const options of [{ dims: { batch: 0 } }, { dims: 'batch' }, { deviceChoice: 'fast' }, { deviceChoice: { budgetMs: -1 } }, { deviceChoice: { cache: '' } }, { deviceChoice: { margin: 2 } }]) {
      expect(await code(loadModel(mlp, { device: 'fastest', ...(options as object) }))).toBe('INPUT_INVALID');
    }
  });

  it('reads the Vulkan driver manifests without Dawn, naming a missing driver file', () => {
    expect(vulkanAdapter({ ...process.env, VK_DRIVER_FILES: SWIFTSHADER_ICD })).toMatchObject({ adapter: { vendor: 'google', architecture: 'swiftshader', software: true, source: 'vulkan-icd' } });
    expect(vulkanAdapter({ ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json' }).problem).toMatch(/no Vulkan driver: VK_DRIVER_FILES names \/nonexistent\/icd.json/);
    expect(vulkanAdapter({ ...process.env, VK_DRIVER_FILES: undefined, VK_ICD_FILENAMES: undefined, XDG_DATA_DIRS: '/nonexistent', XDG_CONFIG_DIRS: '/nonexistent', HOME: '/nonexistent' }).problem).toMatch(/no Vulkan driver \(ICD manifest\)/);
  });

  interface NoDriver {
    webgpu: { code: string; message: string };
    fastest: { device: string; timings: Record<string, number>; errors: Record<string, string> };
  }
  const noDriver = (result: { stdout: string }): NoDriver => JSON.parse(result.stdout.trim().split('\n').at(-1)!) as NoDriver;

  it('fails WebGPU with DEVICE_UNAVAILABLE naming the missing driver, quietly; fastest then measures the CPU only and says why', async () => {
    const result = await runChild('no-driver', [], { VK_DRIVER_FILES: '/nonexistent/icd.json', INPROC_DEBUG: '' });
    expect(result.code, result.stderr).toBe(0);
    // Nothing from Dawn or the Vulkan loader on stderr (they write to fd 2 directly; the probe runs in a child process).
    expect(result.stderr).toBe('');
    const found = noDriver(result);
    expect(found.webgpu.code).toBe('DEVICE_UNAVAILABLE');
    expect(found.webgpu.message).toContain('WebGPU has no adapter');
    expect(found.webgpu.message).toContain('no Vulkan driver: VK_DRIVER_FILES names /nonexistent/icd.json, which does not exist');
    expect(found.fastest.device).toBe('cpu');
    expect(Object.keys(found.fastest.timings)).toEqual(['cpu']);
    expect(found.fastest.errors['webgpu']).toMatch(/^not timed: .*VK_DRIVER_FILES names \/nonexistent\/icd\.json/);
  });

  it('names every Vulkan driver present when Dawn accepts none of them, quietly; INPROC_DEBUG=webgpu shows what Dawn printed', async () => {
    const drivers = await mkdtemp(join(tmpdir(), 'inproc-icd-'));
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
      await writeFile(join(drivers, `${name}_icd.json`), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: `/nonexistent/libvulkan_${name}.so`, api_version: '1.3.0' } }));
    }
    const quiet = await runChild('no-driver', [], { VK_DRIVER_FILES: drivers, INPROC_DEBUG: '' });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const found = noDriver(quiet);
    expect(found.webgpu.code).toBe('DEVICE_UNAVAILABLE');
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) expect(found.webgpu.message).toContain(`libvulkan_${name}.so`);
    const loud = await runChild('no-driver', [], { VK_DRIVER_FILES: drivers, INPROC_DEBUG: 'webgpu' });
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toContain('inproc: the WebGPU adapter probe (Dawn) printed:');
    await rm(drivers, { recursive: true, force: true });
  });

  it('reports the probe in metadata, not on stderr: a WebGPU model on SwiftShader in a child prints nothing', async () => {
    const result = await runChild('no-driver', [], { INPROC_DEBUG: '' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(noDriver(result).fastest.timings).toHaveProperty('webgpu');
  });
});
