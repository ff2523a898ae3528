/**
 * Builds model repositories in temporary directories for the repository tests: real
 * ONNX models from the fixtures, published the way the documentation says (atomic
 * rename from a hidden staging directory), with optional manifests and extra files.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Tensor, type Repository, type RepositoryEvent } from 'inproc';
import { GraphBuilder } from '@inproc/testkit/onnx/builder';
import { mlpModel } from '@inproc/testkit/onnx/models';

/** A version's contents: the model bytes (written as model.onnx unless `files` says otherwise), a manifest, other files. */
export interface VersionSpec {
  readonly model?: Uint8Array;
  readonly manifest?: unknown;
  readonly files?: Readonly<Record<string, Uint8Array | string>>;
}

export async function tempRoot(prefix = 'inproc-repo-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Publishes `<root>/<name>/<version>/` atomically: written under a hidden staging name, then renamed. */
export async function publish(root: string, name: string, version: number, spec: VersionSpec = {}): Promise<string> {
  const staging = join(root, name, `.staging-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  if (spec.model !== undefined) await writeFile(join(staging, 'model.onnx'), spec.model);
  if (spec.manifest !== undefined) await writeFile(join(staging, 'inproc.json'), typeof spec.manifest === 'string' ? spec.manifest : JSON.stringify(spec.manifest));
  for (const [file, content] of Object.entries(spec.files ?? {})) {
    await mkdir(dirname(join(staging, file)), { recursive: true });
    await writeFile(join(staging, file), content);
  }
  const target = join(root, name, String(version));
  await rename(staging, target);
  return target;
}

/**
 * A model whose answer names its version: `y = x + version`, x float32 [batch, 4]. `padding`
 * adds an unused weight of that many floats, to give versions a chosen size in bytes.
 */
export function versionModel(version: number, padding = 0): Uint8Array {
  const g = new GraphBuilder(`v${version}`);
  const x = g.input('x', 'float32', ['batch', 4]);
  let addend = g.initializer('v', 'float32', [], [version]);
  if (padding > 0) {
    // Folded into the addend as 0 * sum(pad), so the weight is part of the graph and really loaded.
    const pad = g.initializer('pad', 'float32', [padding], new Float32Array(padding));
    const [sum] = g.node('ReduceSum', [pad], { attributes: { keepdims: 0 } });
    const [zeroed] = g.node('Mul', [sum!, g.initializer('zero', 'float32', [], [0])]);
    [addend] = g.node('Add', [addend, zeroed!]) as [string];
  }
  g.node('Add', [x, addend], { outputs: ['y'] });
  g.output('y', 'float32', ['batch', 4]);
  return g.build({ opset: 13 });
}

/** The version a `versionModel` answered with, from its output for a zero input. */
export function answeredVersion(out: Record<string, Tensor>): number {
  return (out['y']!.data as Float32Array)[0]!;
}

export const x4 = (): Tensor => new Tensor('float32', new Float32Array(4), [1, 4]);

/** MLP fixtures of distinct sizes (each size gives a model of different bytes and output). */
export const mlp = (size: number): Uint8Array => mlpModel(size);

export function input(size: number, value = 1): Tensor {
  return new Tensor('float32', new Float32Array(size).fill(value), [1, size]);
}

/** The tests' shared error helpers. */
export { code, callCode as codeOf, failure } from '../helpers/errors.js';

/** Records every event of a repository. */
export function record(repository: Repository): RepositoryEvent[] {
  const events: RepositoryEvent[] = [];
  repository.on('*', (event) => events.push(event));
  return events;
}

/** Resolves with the first event of a type that matches. */
export function next<T extends RepositoryEvent['type']>(repository: Repository, type: T, match: (event: Extract<RepositoryEvent, { type: T }>) => boolean = () => true): Promise<Extract<RepositoryEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = repository.on(type, (event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

export const zero = { models: 0, sessions: 0, tensors: 0, bytes: 0 };
