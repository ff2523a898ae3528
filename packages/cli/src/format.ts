/**
 * Text formatting shared by the commands: byte sizes, durations, shapes with symbolic
 * dimensions, aligned tables, and short summaries of tensors.
 * @module
 */
import type { Dim, Tensor } from 'inproc';
import { visibleLength } from './io.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]!}`;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** `[batch, 3, 224, 224]`; `?` for an unnamed dynamic dimension. */
export function formatDims(shape: readonly Dim[], unknownRank = false): string {
  if (unknownRank) return '(unknown rank)';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Rows of cells as aligned columns; `right` lists columns aligned right. */
export function table(rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - visibleLength(cell));
          return right.has(i) ? pad + cell : i === row.length - 1 ? cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatNumber(v: number | bigint | string | boolean): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Elements of a tensor as an array of plain values (bigints as they are). */
export function elements(tensor: Tensor): (number | bigint | string | boolean)[] {
  return Array.from(tensor.data as ArrayLike<number | bigint | string | boolean>);
}

/** `min … max … mean …` of a numeric tensor, or nothing for strings / empty tensors. */
export function statistics(tensor: Tensor): { min: number; max: number; mean: number } | undefined {
  const data = tensor.data as ArrayLike<unknown>;
  if (data.length === 0 || typeof data[0] === 'string') return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / data.length };
}
