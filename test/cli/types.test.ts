/**
 * `inproc types`: the declaration it prints, and that it really gives compile-time
 * checks — generated for real models, then compiled with tsc against the `inproc` package
 * together with code that uses it rightly and code that gets an input name or dtype wrong.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiIoModel } from '@inproc/testkit/onnx/models';
import { OCR_DIR, REPO_ROOT, VAD_FILE, inproc, tempDir, writeFiles } from './helpers.js';

const run = promisify(execFile);
// Inside the repository (git-ignored), so that `inproc` resolves from its node_modules.
const CHECK_DIR = join(REPO_ROOT, 'test-results/cli-types');
let dir: string;

beforeAll(async () => {
  dir = await tempDir('types');
  await writeFiles(dir, { 'multi-io.onnx': multiIoModel() });
  await rm(CHECK_DIR, { recursive: true, force: true });
  await mkdir(CHECK_DIR, { recursive: true });
});
afterAll(() => rm(CHECK_DIR, { recursive: true, force: true }));

/** tsc --noEmit over `files` with the repository's strict settings; resolves to tsc's output and exit code. */
async function tsc(files: Record<string, string>): Promise<{ code: number; output: string }> {
  await writeFiles(CHECK_DIR, files);
  const config = { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, composite: false, types: [] }, include: Object.keys(files) };
  await writeFile(join(CHECK_DIR, 'tsconfig.json'), JSON.stringify(config));
  try {
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', CHECK_DIR], { cwd: CHECK_DIR });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? 1, output: e.stdout ?? '' };
  }
}

describe('inproc types', () => {
  it('prints typed feeds and outputs with dtypes and declared shapes', async () => {
    const r = await inproc(['types', 'multi-io.onnx'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("import type { Model, Tensor } from 'inproc';");
    expect(r.stdout).toContain("export type MultiIoFeeds = {\n  /** float32 [batch, 4] */\n  readonly a: Tensor<'float32'>;\n  /** int64 [batch, 3] */\n  readonly ids: Tensor<'int64'>;\n  /** bool [batch, 3] */\n  readonly mask: Tensor<'bool'>;\n};");
    expect(r.stdout).toContain("readonly inverted: Tensor<'bool'>;");
    expect(r.stdout).toContain('export type MultiIoInputName = "a" | "ids" | "mask";');
    expect(r.stdout).toContain('export type MultiIoModel = Model<MultiIoFeeds, MultiIoOutputs>;');
  });

  it('quotes names that are not identifiers and takes --name and --import', async () => {
    const r = await inproc(['types', join(OCR_DIR, 'ch_PP-OCRv4_det_infer.onnx'), '--name', 'TextDetector', '--import', '@inproc/core']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("from '@inproc/core';");
    expect(r.stdout).toContain(`readonly "sigmoid_0.tmp_0": Tensor<'float32'>;`);
    expect(r.stdout).toContain('export type TextDetectorFeeds = {');
  });

  it('gives declarations that compile and reject a wrong input name or dtype at compile time', async () => {
    const vad = await inproc(['types', VAD_FILE]);
    const multi = await inproc(['types', 'multi-io.onnx'], { cwd: dir });
    expect(vad.code).toBe(0);
    const right = `import { Tensor, loadModel } from 'inproc';
import type { SileroVadV5Feeds, SileroVadV5Outputs } from './vad.js';
import type { MultiIoModel } from './multi.js';
export async function detect(samples: Float32Array, state: Tensor<'float32'>): Promise<number> {
  const model = await loadModel<SileroVadV5Feeds, SileroVadV5Outputs>('silero_vad_v5.onnx');
  const out = await model.run({ input: new Tensor('float32', samples, [1, 512]), state, sr: new Tensor('int64', [16000n], []) });
  const next: Tensor<'float32'> = out.stateN;
  next.dispose();
  return out.output.data[0]!;
}
export type Check = MultiIoModel['signature'];
`;
    const ok = await tsc({ 'vad.ts': vad.stdout, 'multi.ts': multi.stdout, 'use.ts': right });
    expect(ok.output).toBe('');
    expect(ok.code).toBe(0);

    const wrongName = right.replace('sr: new Tensor', 'rate: new Tensor');
    const bad = await tsc({ 'vad.ts': vad.stdout, 'multi.ts': multi.stdout, 'use.ts': wrongName });
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/use\.ts\(6,.*error TS2353: Object literal may only specify known properties, and 'rate' does not exist/);

    const wrongDtype = right.replace("sr: new Tensor('int64', [16000n], [])", "sr: new Tensor('float32', [16000], [])");
    const bad2 = await tsc({ 'vad.ts': vad.stdout, 'multi.ts': multi.stdout, 'use.ts': wrongDtype });
    expect(bad2.code).not.toBe(0);
    expect(bad2.output).toMatch(/use\.ts\(6,.*error TS2322: Type 'Tensor<"float32">' is not assignable to type 'Tensor<"int64">'/);
  });
});
