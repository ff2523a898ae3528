/**
 * `inproc export triton <repository> <out>`: the repository as a Triton model
 * repository. Each model's served versions are copied (`<name>/<version>/`, files as
 * they are) and a `config.pbtxt` is written from the model's signature and manifest.
 * ONNX models only: Triton has no TF.js backend.
 * @module
 */
import { cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { InprocError, type ModelLease, type Signature, openRepository } from 'inproc';
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
      const served = repo.versions(name).served;
      if (served.length === 0) {
        results.push({ name, versions: [], skipped: true, note: 'no servable version' });
        continue;
      }
      const leases: ModelLease[] = [];
      try {
        try {
          for (const version of [...served].reverse()) leases.push(await repo.get(name, { version }));
        } catch (error) {
          results.push({ name, versions: [], skipped: true, note: `cannot load: ${InprocError.is(error) ? `[${error.code}] ` : ''}${error instanceof Error ? error.message : String(error)}` });
          continue;
        }
        const newest = leases[0]!;
        if (newest.format !== 'onnx') {
          results.push({ name, versions: [], skipped: true, note: `${newest.format} model; Triton serves ONNX here` });
          continue;
        }
        // One config serves every version: export those whose signature matches the newest.
        const same = (a: Signature, b: Signature): boolean => JSON.stringify(a) === JSON.stringify(b);
        const kept = leases.filter((l) => l.format === 'onnx' && same(l.signature, newest.signature)).map((l) => l.version).sort((a, b) => a - b);
        const dropped = served.filter((v) => !kept.includes(v));
        const manifest = newest.manifest;
        const device = manifest.device ?? '';
        const config = tritonConfig({
          name,
          signature: newest.signature,
          batching: manifest.batching,
          instances: options.instances ?? manifest.concurrency ?? 1,
          kind: options.kind ?? (device === 'cpu' ? 'KIND_CPU' : /^(cuda|gpu|tensorrt)$/.test(device) ? 'KIND_GPU' : 'KIND_AUTO'),
          versions: kept,
          modelFile: manifest.model,
        });
        await mkdir(join(out, name), { recursive: true });
        for (const version of kept) {
          const source = join(root, name, String(version));
          if (!(await stat(source)).isDirectory()) continue;
          await cp(source, join(out, name, String(version)), { recursive: true, dereference: true });
        }
        await writeFile(join(out, name, 'config.pbtxt'), config.text);
        const notes = [config.note, dropped.length > 0 ? `versions ${dropped.join(', ')} left out: their signature differs from version ${newest.version}'s` : undefined].filter((n) => n !== undefined);
        results.push({ name, versions: kept, maxBatchSize: config.maxBatchSize, skipped: false, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) });
      } finally {
        for (const lease of leases) lease.release();
      }
    }
  } finally {
    await repo.close();
  }
  return results;
}
