/**
 * Runs one Node case of the `backends` suite in this (fresh) process and writes its
 * outcome as JSON to `--out`: a process per case, so that peak RSS belongs to the case
 * alone and no backend's threads, arenas or JIT state colour the next one.
 *
 *   node --import tsx backends/node-case.ts --case <case id> --out result.json [--quick]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { hasBackend, loadModel, registerBackend, type LoadOptions } from 'inproc';
import { tfjsBackend } from '@inproc/tfjs';
import { FULL_PLAN, QUICK_PLAN } from '../lib/measure.js';
import { CONCURRENCY_FAMILIES, benchmarkCases } from './cases.js';
import { runCase } from './run-case.js';
import { modelFiles } from './sources.js';

const { values } = parseArgs({ options: { case: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const spec = benchmarkCases({ quick: false, where: 'node' }).find((c) => c.id === values.case);
if (spec === undefined || values.out === undefined) throw new Error(`usage: node-case.ts --case <id> --out <file>; unknown case ${String(values.case)}`);
if (spec.runtime.backend === 'tfjs' && !hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

const base = values.quick ? QUICK_PLAN : FULL_PLAN;
const plan = CONCURRENCY_FAMILIES.has(spec.model.family) ? base : { ...base, concurrency: [] };
const files = await modelFiles(spec.model.id);
const rssBefore = process.memoryUsage().rss;
const options: LoadOptions = { backend: spec.runtime.backend, device: spec.runtime.device };
const outcome = await runCase({
  spec: spec.model,
  plan,
  // From the path when there is one (as users load), else from memory with the shards beside.
  load: () =>
    files.path !== undefined
      ? loadModel(files.path, options)
      : loadModel(files.main, { ...options, ...(files.mainName === 'model.json' ? { backendOptions: { weights: Object.values(files.shards) } } : {}) }),
  memory: () => ({ rssBefore, peakRss: process.resourceUsage().maxRSS * 1024 }),
});
await writeFile(values.out, JSON.stringify({ case: spec.id, modelBytes: files.bytes, ...outcome }));
