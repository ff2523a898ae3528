/**
 * core's `node-builtin.ts` (`nodeModule` on `@inproc/core/backend`): core (`nodeImport`: a
 * model read from a path), onnx-node and the server take Node's modules with
 * `process.getBuiltinModule`, and with `require` (core's `#node-require`) in a runtime without
 * it (Electron before 32). The fallback runs in a child process whose `--import` hook deletes
 * `process.getBuiltinModule` before anything loads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inproc-node-builtin-'));
  await writeFile(join(dir, 'mlp.onnx'), mlpModel(16));
  await writeFile(join(dir, 'no-getbuiltinmodule.mjs'), 'delete process.getBuiltinModule;\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `script` (ESM) in a child Node from the repository root; resolves its stdout. */
function child(script: string, hook: boolean): Promise<string> {
  const args = [...(hook ? ['--import', join(dir, 'no-getbuiltinmodule.mjs')] : []), '--input-type=module', '-e', script];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: join(import.meta.dirname, '../../..') }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const SCRIPT = (model: string): string => `
const { loadModel, Tensor } = await import('inproc');
const { vulkanAdapter } = await import('@inproc/onnx-node');
const { nodeModule } = await import('@inproc/core/backend');
const zlib = nodeModule('node:zlib');
const model = await loadModel(${JSON.stringify(model)}, { device: 'auto' });
const out = await model.run({ x: new Tensor('float32', new Float32Array(16).fill(0.5), [1, 16]) });
await model.dispose();
console.log(JSON.stringify({
  getBuiltinModule: typeof process.getBuiltinModule,
  device: model.device,
  y: [...Object.values(out)[0].data],
  vulkan: vulkanAdapter({ VK_DRIVER_FILES: '/nonexistent/icd.json' }).problem,
  zlib: zlib.gunzipSync(zlib.gzipSync('inproc')).toString(),
}));
`;

describe('Node modules through nodeModule', () => {
  it.each([
    ['with process.getBuiltinModule', false, 'function'],
    ['without it (require)', true, 'undefined'],
  ])('%s: loads, runs and reads the file system the same', async (_, hook, kind) => {
    const answer = JSON.parse(await child(SCRIPT(join(dir, 'mlp.onnx')), hook)) as { getBuiltinModule: string; device: string; y: number[]; vulkan: string; zlib: string };
    expect(answer.getBuiltinModule).toBe(kind);
    expect(answer.device).toBe('cpu');
    const expected = mlpReference(new Float32Array(16).fill(0.5), 1, 16);
    answer.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(answer.vulkan).toMatch(/no Vulkan driver: VK_DRIVER_FILES names \/nonexistent\/icd.json/);
    expect(answer.zlib).toBe('inproc');
  });
});
