/**
 * `inproc run <model>`: one run on inputs from files (or random data), then a summary
 * of each output (dtype, shape, min / max / mean, first values, arg-max for a single row
 * of scores) or, with `--json`, every value.
 * @module
 */
import type { Tensor } from 'inproc';
import { elements, formatDims, formatMs, formatNumber, statistics, table } from '../format.js';
import { commandFeeds } from '../inputs.js';
import type { Io, Style } from '../io.js';
import { loadModelFile, readModelFile } from '../model-file.js';
import { parseCommand, UsageError } from '../usage.js';

const jsonValue = (v: number | bigint | string | boolean): number | string | boolean => (typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/** Nested arrays in the tensor's shape, for JSON output. */
function nested(tensor: Tensor): unknown {
  // bool tensors hold 0/1 bytes; JSON readers expect true/false.
  const flat = tensor.dtype === 'bool' ? elements(tensor).map((v) => v === true || v === 1) : elements(tensor).map(jsonValue);
  const build = (dim: number, offset: number): unknown => {
    if (dim === tensor.shape.length) return flat[offset];
    const stride = tensor.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: tensor.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

function summary(name: string, tensor: Tensor, s: Style): string[] {
  const values = elements(tensor);
  const head = values.slice(0, 8).map(formatNumber).join(', ') + (values.length > 8 ? `, … (${values.length} values)` : '');
  const stats = statistics(tensor);
  const lines = [`${s.bold(name)}  ${tensor.dtype} [${tensor.shape.join(', ')}]`];
  if (stats !== undefined && values.length > 1) lines.push(`  min ${formatNumber(stats.min)}  max ${formatNumber(stats.max)}  mean ${formatNumber(stats.mean)}`);
  lines.push(`  [${head}]`);
  // One row of scores (classification): where the maximum is.
  const rows = tensor.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (rows === 1 && values.length > 1 && values.length <= 100_000 && stats !== undefined && tensor.dtype.startsWith('float')) {
    const top = values
      .map((v, i) => [Number(v), i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5);
    lines.push(`  top: ${top.map(([v, i]) => `#${i} ${formatNumber(v)}`).join(', ')}`);
  }
  return lines;
}

export async function runCommand(args: readonly string[], io: Io, s: Style): Promise<void> {
  const { values, positionals } = parseCommand('run', args);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a model file' : `run takes one model, got ${positionals.length} arguments (give inputs with --input name=file)`, 'run');
  const file = await readModelFile(positionals[0]!, io.cwd);
  const notes: string[] = [];
  const inputs = commandFeeds(values, io.cwd, 'run', notes, values.device);
  const { model, loadMs } = await loadModelFile(file, { backend: values.backend, device: values.device, inputs: inputs.load });
  try {
    const feeds = await inputs.feeds(model.signature);
    const outputs = values.outputs?.split(',').map((o) => o.trim()).filter((o) => o !== '');
    for (const note of notes) io.stderr.write(`${s.dim(`note: ${note}`)}\n`);
    const tensors: Record<string, Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = feed.tensor;
    const start = performance.now();
    const result = await model.run(tensors, outputs === undefined ? {} : { outputs });
    const runMs = performance.now() - start;
    if (values.json === true) {
      const out: Record<string, unknown> = {};
      for (const [name, tensor] of Object.entries(result)) out[name] = { dtype: tensor.dtype, shape: tensor.shape, data: nested(tensor) };
      io.stdout.write(`${JSON.stringify({ model: file.path, backend: model.backend, device: model.device, loadMs, runMs, outputs: out })}\n`);
    } else {
      const lines: string[] = [s.dim(`${file.given}: ${file.format} on ${model.backend} (${model.device}); load ${formatMs(loadMs)}, run ${formatMs(runMs)}`), '', s.bold('inputs')];
      lines.push(table(model.signature.inputs.filter((i) => feeds[i.name] !== undefined).map((i) => [`  ${i.name}`, `${feeds[i.name]!.tensor.dtype} [${feeds[i.name]!.tensor.shape.join(', ')}]`, s.dim(`declared ${formatDims(i.shape)}`), feeds[i.name]!.origin])));
      lines.push('', s.bold('outputs'));
      for (const [name, tensor] of Object.entries(result)) lines.push(...summary(name, tensor, s));
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    for (const tensor of Object.values(result)) tensor.dispose();
  } finally {
    await model.dispose();
  }
}
