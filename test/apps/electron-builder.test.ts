/**
 * examples/electron's electron-builder configuration, checked without Electron (its binary
 * cannot be downloaded here, so the app is never packaged in CI): against electron-builder's
 * own JSON schema (scheme.json of app-builder-lib, pinned, from its npm tarball) with the
 * validator settings electron-builder uses, and its asarUnpack globs against the native files
 * that onnxruntime-node and sharp really install, which cannot be loaded from inside app.asar.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { minimatch } from 'minimatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_CACHE, packageFiles } from '@inproc/testkit/npm-tarball';
import { REPO_ROOT } from '../cli/helpers.js';

/** The electron-builder version the example's configuration is written for. */
const APP_BUILDER_LIB = {
  name: 'app-builder-lib',
  version: '26.18.1',
  integrity: 'sha512-HxHcSQoy8RmiFCSxgKyt5Lrwx8HCURh5834TRaHEjkDkVS2wVt3RnkQDkG0zaQZfhz3d8WQtF8zv914xSm0ZpA==',
};

interface BuildConfig {
  readonly files: readonly string[];
  readonly asarUnpack: readonly string[];
  readonly [key: string]: unknown;
}

let validate: (config: unknown) => string[];
let pkg: { main: string; build: BuildConfig };

beforeAll(async () => {
  const [scheme] = await packageFiles(APP_BUILDER_LIB, ['scheme.json'], join(MODEL_CACHE, '../npm'));
  // As electron-builder's schemaValidator.js compiles it.
  const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: true, strict: false });
  const check = ajv.compile(JSON.parse(await readFile(scheme!, 'utf8')) as object);
  validate = (config) => (check(structuredClone(config)) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`));
  pkg = JSON.parse(await readFile(join(REPO_ROOT, 'examples/electron/package.json'), 'utf8')) as typeof pkg;
});

/** Files under `dir` (relative to the repository, `/`-separated) whose names match `pattern`. */
async function installed(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && pattern.test(e.name)).map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)).split('\\').join('/'));
}

const unpacked = (file: string): boolean => pkg.build.asarUnpack.some((glob) => minimatch(file, glob, { dot: true }));
const NATIVE = /\.(node|so(\.\d+)*|dylib|dll)$/;

describe("examples/electron's electron-builder configuration", () => {
  it("is valid for electron-builder's schema, which rejects a broken one", () => {
    expect(validate(pkg.build)).toEqual([]);
    expect(validate({ ...pkg.build, asarUnpak: ['typo'] }).join('\n')).toMatch(/additional properties/i);
    expect(validate({ ...pkg.build, npmRebuild: 'sometimes' }).join('\n')).toMatch(/npmRebuild/);
  });

  it("unpacks onnxruntime-node's and sharp's native libraries and the model, and nothing of Inproc's JavaScript", async () => {
    const onnx = await installed('node_modules/onnxruntime-node/bin', NATIVE);
    expect(onnx.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
    const sharp = await installed('node_modules/@img', NATIVE);
    expect(sharp.some((f) => /sharp-[a-z0-9.-]+\.node$/.test(f))).toBe(true);
    const model = 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx';
    for (const file of [...onnx, ...sharp, model]) expect(unpacked(file), `${file} must be outside app.asar`).toBe(true);
    for (const file of ['node_modules/inproc/dist/node.js', 'node_modules/@inproc/onnx-web/dist/index.js', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm']) {
      expect(unpacked(file), `${file} can stay in app.asar`).toBe(false);
    }
  });

  it('packs the built main process and renderer', () => {
    const packed = (file: string): boolean => pkg.build.files.some((glob) => minimatch(file, glob, { dot: true }));
    for (const file of [pkg.main, 'dist/renderer/index.html', 'package.json']) expect(packed(file), file).toBe(true);
  });
});
