/**
 * `inproc bench <model>`: load time, first run, then `--iterations` timed runs over
 * `--concurrency` callers on each backend, with a progress bar, then a table of latency
 * percentiles and throughput. Backends run one after another, each model disposed before
 * the next is loaded (TF.js allows one engine per process).
 * @module
 */
import { InprocError, type Tensor } from 'inproc';
import { formatMs, table } from '../format.js';
import { commandFeeds } from '../inputs.js';
import type { Io, Style } from '../io.js';
import { loadModelFile, readModelFile, type ModelFile } from '../model-file.js';
import { progressBar } from '../progress.js';
import { parseCommand, positiveInt, UsageError } from '../usage.js';
import { candidates } from './info.js';

export interface BenchRow {
  readonly backend: string;
  readonly device: string;
  readonly loadMs: number;
  readonly firstRunMs: number;
  readonly iterations: number;
  readonly concurrency: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  /** Completed runs per second over the timed phase. */
  readonly throughput: number;
  readonly samples: readonly number[];
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** `a,b:wasm` -> targets; a backend without a device takes `fallbackDevice`. */
function targets(list: string, fallbackDevice: string | undefined): { backend: string; device: string | undefined }[] {
  return list
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t) => {
      const [backend, device] = t.split(':');
      return { backend: backend!, device: device ?? fallbackDevice };
    });
}

/** Every available backend that loads the format and has `device` (when one is given: `--device fastest` leaves out backends without it). */
async function defaultTargets(file: ModelFile, device: string | undefined): Promise<{ backend: string; device: string | undefined }[]> {
  const available = (await candidates(file)).filter((c) => c.available);
  if (available.length === 0) throw new InprocError('BACKEND_UNAVAILABLE', `no available backend loads ${file.format} models here (run "inproc info" to see why)`);
  const list = device === undefined || device === 'auto' ? available : available.filter((c) => c.devices.includes(device));
  if (list.length === 0) throw new InprocError('DEVICE_UNAVAILABLE', `no available backend that loads ${file.format} models has device "${device}" (${available.map((c) => `${c.name}: ${c.devices.join(', ')}`).join('; ')})`);
  return list.map((c) => ({ backend: c.name, device }));
}

export async function benchCommand(args: readonly string[], io: Io, s: Style): Promise<void> {
  const { values, positionals } = parseCommand('bench', args);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'bench needs a model file' : `bench takes one model, got ${positionals.length} arguments`, 'bench');
  if (values.backend !== undefined && values.backends !== undefined) throw new UsageError('give --backends (a list) or --backend, not both', 'bench');
  const iterations = positiveInt(values.iterations, 'iterations', 100, 'bench');
  const concurrency = positiveInt(values.concurrency, 'concurrency', 1, 'bench');
  const warmup = values.warmup === undefined ? 5 : values.warmup === '0' ? 0 : positiveInt(values.warmup, 'warmup', 5, 'bench');
  const file = await readModelFile(positionals[0]!, io.cwd);
  const list = values.backends ?? values.backend;
  const plan = list === undefined ? await defaultTargets(file, values.device) : targets(list, values.device);
  if (plan.length === 0) throw new UsageError('--backends lists no backend', 'bench');
  const progress = progressBar(io.stderr, s);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const target of plan) {
    const label = `${target.backend}${target.device === undefined ? '' : `:${target.device}`}`;
    if (io.stderr.isTTY !== true) io.stderr.write(`${s.dim(`bench: ${label} ...`)}\n`);
    const inputs = commandFeeds(values, io.cwd, 'bench', rows.length === 0 ? notes : [], target.device);
    const { model, loadMs } = await loadModelFile(file, { ...target, inputs: inputs.load });
    try {
      const feeds = await inputs.feeds(model.signature);
      if (rows.length === 0) for (const note of notes) io.stderr.write(`${s.dim(`note: ${note}`)}\n`);
      const run = async (): Promise<void> => {
        const fresh: Record<string, Tensor> = {};
        for (const [name, feed] of Object.entries(feeds)) fresh[name] = feed.tensor;
        const out = await model.run(fresh);
        for (const t of Object.values(out)) t.dispose();
      };
      let t = performance.now();
      await run();
      const firstRunMs = performance.now() - t;
      progress.start(`${label} warm-up`, warmup);
      for (let i = 0; i < warmup; i++) {
        await run();
        progress.tick(i + 1);
      }
      progress.start(`${label} (${model.device})`, iterations);
      const samples: number[] = [];
      let next = 0;
      t = performance.now();
      await Promise.all(
        Array.from({ length: Math.min(concurrency, iterations) }, async () => {
          while (next < iterations) {
            next++;
            const start = performance.now();
            await run();
            samples.push(performance.now() - start);
            progress.tick(samples.length);
          }
        }),
      );
      const elapsed = performance.now() - t;
      progress.end();
      const sorted = [...samples].sort((a, b) => a - b);
      rows.push({
        backend: model.backend,
        device: model.device,
        loadMs,
        firstRunMs,
        iterations,
        concurrency,
        p50: quantile(sorted, 0.5),
        p90: quantile(sorted, 0.9),
        p99: quantile(sorted, 0.99),
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
        throughput: (iterations / elapsed) * 1000,
        samples,
      });
    } finally {
      progress.end();
      await model.dispose();
    }
  }
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ model: file.path, format: file.format, iterations, warmup, concurrency, results: rows })}\n`);
    return;
  }
  const best = Math.min(...rows.map((r) => r.p50));
  const header = ['backend', 'device', 'load', 'first run', 'p50', 'p90', 'p99', 'mean', 'runs/s'].map((h) => s.bold(h));
  const body = rows.map((r) => [r.p50 === best && rows.length > 1 ? s.green(r.backend) : r.backend, r.device, formatMs(r.loadMs), formatMs(r.firstRunMs), formatMs(r.p50), formatMs(r.p90), formatMs(r.p99), formatMs(r.mean), r.throughput.toFixed(r.throughput >= 100 ? 0 : 1)]);
  io.stdout.write(`${s.dim(`${file.given}: ${iterations} runs per backend after ${warmup} warm-up runs, ${concurrency} concurrent caller(s)`)}\n${table([header, ...body], new Set([2, 3, 4, 5, 6, 7, 8]))}\n`);
}
