/**
 * model-file.ts: one rule for which file of a directory is the model, followed by
 * loadModel(dir), a repository's version directories and the CLI (test/cli covers it).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, openRepository, resources } from 'inproc';
import { findModelFile } from 'inproc/backend';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { tfjsMlp } from '@inproc/testkit/tfjs/models';
import { code, failure } from '../../helpers/errors.js';

let root: string;
const dir = (name: string): string => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inproc-model-file-'));
  const tfjs = tfjsMlp(4);
  const files: Record<string, Record<string, Uint8Array | string>> = {
    both: { 'model.onnx': mlpModel(4), 'model.json': tfjs.json, [tfjs.shard]: tfjs.weights },
    'json-only': { 'model.json': tfjs.json, [tfjs.shard]: tfjs.weights },
    'one-onnx': { 'mlp.onnx': mlpModel(4), 'readme.md': 'a model' },
    'two-onnx': { 'a.onnx': mlpModel(4), 'b.onnx': mlpModel(4) },
    empty: { 'readme.md': 'nothing here' },
    'repo/m/1': { 'net.onnx': mlpModel(4) },
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dir(name), { recursive: true });
    for (const [file, data] of Object.entries(content)) await writeFile(join(dir(name), file), data);
  }
  await mkdir(join(dir('dir-named-onnx'), 'x.onnx'), { recursive: true });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('which file of a directory is the model', () => {
  it('model.onnx, else model.json, else the one .onnx file', async () => {
    const before = resources();
    for (const [name, file, format] of [['both', 'model.onnx', 'onnx'], ['json-only', 'model.json', 'tfjs-graph'], ['one-onnx', 'mlp.onnx', 'onnx']] as const) {
      await using model = await loadModel(dir(name));
      expect(model.source).toBe(join(dir(name), file));
      expect(model.format).toBe(format);
    }
    expect(resources()).toEqual(before);
  });

  it('no model, two .onnx files or a directory named like one: MODEL_NOT_FOUND listing the candidates and what was found', async () => {
    for (const name of ['empty', 'two-onnx', 'dir-named-onnx']) expect(await code(loadModel(dir(name)))).toBe('MODEL_NOT_FOUND');
    const error = await failure(loadModel(dir('empty')));
    expect(error.message).toBe(`${dir('empty')} is a directory without model.json, model.onnx or a single .onnx file (found: readme.md)`);
    expect(error.details).toMatchObject({ candidates: ['model.onnx', 'model.json', '*.onnx'], entries: ['readme.md'] });
  });

  it('is the rule of repository version directories too', async () => {
    await using repo = await openRepository(dir('repo'));
    expect(repo.versions('m').available).toEqual([1]);
    await using lease = await repo.get('m');
    expect(lease.source).toBe(join(dir('repo'), 'm', '1', 'net.onnx'));
  });

  it('works through any probe: names only, without a listing', async () => {
    const names = new Set(['model.json', 'other.onnx']);
    expect(await findModelFile({ exists: async (f) => names.has(f) }, 'over HTTP')).toBe('model.json');
    expect(await code(findModelFile({ exists: async () => false }, 'over HTTP'))).toBe('MODEL_NOT_FOUND');
  });
});
