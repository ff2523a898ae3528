/**
 * `inproc export triton <repository> <out>`: the repository as a Triton model
 * repository. Each model's served versions are copied (`<name>/<version>/`, regular files
 * only: a symbolic link, inside the repository or not, is never followed) and a
 * `config.pbtxt` is written from the model's signature and manifest. ONNX models only:
 * Triton has no TF.js backend. A model that cannot be exported (it does not load, a link
 * or special file in a version folder, a write that fails) is skipped with a note, and
 * what was written of it is removed; the other models are exported.
 * @module
 */
import { constants, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { InprocError, type ModelLease, type Repository, type Signature, openRepository } from 'inproc';
import { tritonModelOf } from '@inproc/server';
import type { Io, Style } from '../io.js';
import { parseCommand, positiveInt, UsageError } from '../usage.js';
import { INSTANCE_KINDS, type InstanceKind, tritonConfig } from './triton-config.js';

/** What happened to one model. */
export interface ExportedModel {
  readonly name: string;
  readonly versions: readonly number[];
  readonly maxBatchSize?: number;
  /** Why the model (or some versions) was skipped, or a note on the config. */
  readonly note?: string;
  readonly skipped: boolean;
}

export async function exportCommand(args: readonly string[], io: Io, s: Style): Promise<void> {
  const { values, positionals } = parseCommand('export', args);
  const [target, from, to, ...extra] = positionals;
  if (target !== 'triton') throw new UsageError(target === undefined ? 'export needs a target: inproc export triton <repository> <out>' : `export: unknown target "${target}"; supported: triton`, 'export');
  if (from === undefined || to === undefined || extra.length > 0) throw new UsageError('usage: inproc export triton <repository> <out>', 'export');
  const kind = (values.kind ?? undefined) as InstanceKind | undefined;
  if (kind !== undefined && !INSTANCE_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${INSTANCE_KINDS.join(', ')}, got "${kind}"`, 'export');
  const instances = values.instances === undefined ? undefined : positiveInt(values.instances, 'instances', 1, 'export');
  const root = resolve(io.cwd, from);
  const out = resolve(io.cwd, to);
  const inside = relative(root, out);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) throw new UsageError(`the output ${out} must not be inside the repository ${root}`, 'export');
  const existing = await readdir(out).catch(() => undefined);
  if (existing !== undefined && existing.length > 0 && values.force !== true) throw new UsageError(`${out} is not empty; pass --force to write into it`, 'export');

  const results = await exportTriton(root, out, { instances, kind });
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ repository: root, out, models: results }, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    const what = r.skipped ? s.yellow('skipped') : `versions ${r.versions.join(', ')}, max_batch_size ${r.maxBatchSize ?? 0}`;
    io.stdout.write(`${s.bold(r.name)}: ${what}${r.note === undefined ? '' : s.dim(` (${r.note})`)}\n`);
  }
  io.stdout.write(`wrote a Triton model repository to ${out}\n`);
}

/** Exports every model of the repository at `root` into `out`. */
export async function exportTriton(root: string, out: string, options: { instances?: number | undefined; kind?: InstanceKind | undefined }): Promise<ExportedModel[]> {
  const repo = await openRepository(root);
  const results: ExportedModel[] = [];
  try {
    for (const name of repo.models()) {
      try {
        results.push(await exportModel(repo, name, root, out, options));
      } catch (error) {
        // One model that cannot be exported does not abort the others, nor leave half of itself behind.
        await rm(join(out, name), { recursive: true, force: true });
        results.push({ name, versions: [], skipped: true, note: `cannot export: ${describeError(error)}` });
      }
    }
  } finally {
    await repo.close();
  }
  return results;
}

function describeError(error: unknown): string {
  return `${InprocError.is(error) ? `[${error.code}] ` : ''}${error instanceof Error ? error.message : String(error)}`;
}

async function exportModel(repo: Repository, name: string, root: string, out: string, options: { instances?: number | undefined; kind?: InstanceKind | undefined }): Promise<ExportedModel> {
  const served = repo.versions(name).served;
  if (served.length === 0) return { name, versions: [], skipped: true, note: 'no servable version' };
  const leases: ModelLease[] = [];
  try {
    try {
      for (const version of [...served].reverse()) leases.push(await repo.get(name, { version }));
    } catch (error) {
      return { name, versions: [], skipped: true, note: `cannot load: ${describeError(error)}` };
    }
    const newest = leases[0]!;
    if (newest.format !== 'onnx') return { name, versions: [], skipped: true, note: `${newest.format} model; Triton serves ONNX here` };
    // One config serves every version: export those whose signature matches the newest.
    const same = (a: Signature, b: Signature): boolean => JSON.stringify(a) === JSON.stringify(b);
    const kept = leases.filter((l) => l.format === 'onnx' && same(l.signature, newest.signature)).map((l) => l.version).sort((a, b) => a - b);
    const dropped = served.filter((v) => !kept.includes(v));
    const config = tritonConfig(tritonModelOf(name, newest, kept, options));
    // Every file is checked before anything is written: a model with a link is skipped whole.
    const files = new Map<number, string[]>();
    for (const version of kept) files.set(version, await regularFiles(join(root, name, String(version)), `${name}/${version}`));
    for (const [version, list] of files) {
      for (const file of list) {
        const target = join(out, name, String(version), file);
        await mkdir(dirname(target), { recursive: true });
        await copyRegularFile(join(root, name, String(version), file), target, `${name}/${version}/${file}`);
      }
    }
    await mkdir(join(out, name), { recursive: true });
    await writeFile(join(out, name, 'config.pbtxt'), config.text);
    const notes = [config.note, dropped.length > 0 ? `versions ${dropped.join(', ')} left out: their signature differs from version ${newest.version}'s` : undefined].filter((n) => n !== undefined);
    return { name, versions: kept, maxBatchSize: config.maxBatchSize, skipped: false, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
  } finally {
    for (const lease of leases) lease.release();
  }
}

/** Copies a file opened without following a link (O_NOFOLLOW), so one swapped for a link after the walk is refused too. */
async function copyRegularFile(source: string, target: string, where: string): Promise<void> {
  const handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? new InprocError('PATH_OUTSIDE_REPOSITORY', `${where} is a symbolic link; the export copies regular files only`) : error;
  });
  try {
    if (!(await handle.stat()).isFile()) throw new InprocError('MODEL_INVALID', `${where} is not a regular file; the export copies regular files only`);
    await pipeline(handle.createReadStream({ autoClose: false }), createWriteStream(target));
  } finally {
    await handle.close();
  }
}

/**
 * The regular files under a version directory, relative paths, folders walked without
 * following links. @throws InprocError `PATH_OUTSIDE_REPOSITORY` for a symbolic link, `MODEL_INVALID` for a FIFO, socket or device
 */
async function regularFiles(dir: string, where: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relativeDir: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relativeDir), { withFileTypes: true })) {
      const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isSymbolicLink()) throw new InprocError('PATH_OUTSIDE_REPOSITORY', `${where}/${path} is a symbolic link; the export copies regular files only (replace the link with the file)`);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) found.push(path);
      else throw new InprocError('MODEL_INVALID', `${where}/${path} is not a regular file (a FIFO, socket or device); the export copies regular files only`);
    }
  };
  await walk('');
  return found;
}
