/**
 * Two small SVG chart kinds, written by hand so the output is plain, diff-able and has
 * no dependency: latency distributions (one row per backend, log-scale milliseconds)
 * and line charts (throughput against concurrency). Self-contained files, readable on
 * GitHub and in any browser.
 */

const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const fmt = (v: number): string => (v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
const n = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Decade ticks (and 2, 5 in between when there are few decades) within [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = decades <= 3 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const s of steps) {
    const v = s * 10 ** e;
    if (v >= lo && v <= hi) ticks.push(v);
  }
  return ticks;
}

/** One row of a latency chart: samples sorted ascending (ms), or a note when there are none. */
export interface LatencyRow {
  readonly label: string;
  readonly samples?: readonly number[];
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
  readonly note?: string;
}

/**
 * Latency distributions: per row, every sample as a faint tick (a strip plot), the
 * p25–p75 box, a whisker from min to p99, and labelled p50 / p99.
 */
export function latencyChart(options: { title: string; subtitle?: string; rows: readonly LatencyRow[] }): string {
  const labelWidth = 260;
  const width = 1000;
  const plotLeft = labelWidth + 10;
  const plotRight = width - 170;
  const rowHeight = 30;
  const top = options.subtitle === undefined ? 44 : 60;
  const height = top + options.rows.length * rowHeight + 44;
  const all = options.rows.flatMap((r) => r.samples ?? []).filter((v) => v > 0);
  const lo = all.length === 0 ? 0.1 : 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = all.length === 0 ? 10 : 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (v: number): number => plotLeft + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (plotRight - plotLeft);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  if (options.subtitle !== undefined) out.push(`<text x="12" y="40" fill="#555">${escapeXml(options.subtitle)}</text>`);
  const bottom = top + options.rows.length * rowHeight;
  for (const t of logTicks(lo, hi)) {
    out.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${top - 4}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${n(x(t))}" y="${bottom + 16}" text-anchor="middle" fill="#555">${fmt(t)}</text>`);
  }
  out.push(`<text x="${n((plotLeft + plotRight) / 2)}" y="${bottom + 34}" text-anchor="middle" fill="#333">latency per run, ms (log scale) — ticks: samples; box: p25–p75; whisker: min–p99</text>`);
  options.rows.forEach((row, i) => {
    const cy = top + i * rowHeight + rowHeight / 2;
    const color = PALETTE[i % PALETTE.length]!;
    out.push(`<text x="${labelWidth}" y="${n(cy + 4)}" text-anchor="end">${escapeXml(row.label)}</text>`);
    const s = row.samples ?? [];
    if (s.length === 0) {
      out.push(`<text x="${plotLeft}" y="${n(cy + 4)}" fill="#999" font-style="italic">${escapeXml(row.note ?? 'no samples')}</text>`);
      return;
    }
    const q = (p: number): number => s[Math.min(s.length - 1, Math.round((s.length - 1) * p))]!;
    // At most ~300 sample ticks per row keeps the file small; quantiles keep the shape.
    const step = Math.max(1, Math.floor(s.length / 300));
    for (let k = 0; k < s.length; k += step) out.push(`<line x1="${n(x(s[k]!))}" x2="${n(x(s[k]!))}" y1="${n(cy - 10)}" y2="${n(cy + 10)}" stroke="${color}" stroke-opacity="0.25"/>`);
    const p99 = row.p99 ?? q(0.99);
    const p50 = row.p50 ?? q(0.5);
    out.push(`<line x1="${n(x(s[0]!))}" x2="${n(x(p99))}" y1="${n(cy)}" y2="${n(cy)}" stroke="${color}" stroke-width="1.5"/>`);
    out.push(`<rect x="${n(x(q(0.25)))}" y="${n(cy - 6)}" width="${n(Math.max(1, x(q(0.75)) - x(q(0.25))))}" height="12" fill="${color}" fill-opacity="0.55" stroke="${color}"/>`);
    out.push(`<line x1="${n(x(p50))}" x2="${n(x(p50))}" y1="${n(cy - 9)}" y2="${n(cy + 9)}" stroke="#111" stroke-width="2"/>`);
    out.push(`<line x1="${n(x(p99))}" x2="${n(x(p99))}" y1="${n(cy - 6)}" y2="${n(cy + 6)}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${plotRight + 8}" y="${n(cy + 4)}" fill="#333">p50 ${fmt(p50)} · p99 ${fmt(p99)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A line chart with a log2 x axis (concurrency 1, 2, 4, 8 ...) and a linear y axis from 0. */
export function lineChart(options: { title: string; subtitle?: string; xLabel: string; yLabel: string; series: readonly Series[] }): string {
  const width = 1000;
  const height = 440;
  const left = 70;
  const right = width - 310;
  const top = options.subtitle === undefined ? 44 : 60;
  const bottom = height - 50;
  const xs = [...new Set(options.series.flatMap((s) => s.points.map(([px]) => px)))].sort((a, b) => a - b);
  const ys = options.series.flatMap((s) => s.points.map(([, py]) => py));
  const xlo = Math.log2(xs[0] ?? 1);
  const xhi = Math.max(xlo + 1, Math.log2(xs.at(-1) ?? 2));
  const ymaxRaw = Math.max(1, ...ys);
  const magnitude = 10 ** Math.floor(Math.log10(ymaxRaw));
  const ymax = Math.ceil(ymaxRaw / magnitude) * magnitude;
  const x = (v: number): number => left + ((Math.log2(v) - xlo) / (xhi - xlo)) * (right - left);
  const y = (v: number): number => bottom - (v / ymax) * (bottom - top);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  if (options.subtitle !== undefined) out.push(`<text x="12" y="40" fill="#555">${escapeXml(options.subtitle)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const v = (ymax / 5) * k;
    out.push(`<line x1="${left}" x2="${right}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${n(y(v) + 4)}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
  }
  for (const v of xs) out.push(`<text x="${n(x(v))}" y="${bottom + 16}" text-anchor="middle" fill="#555">${v}</text>`);
  out.push(`<text x="${n((left + right) / 2)}" y="${bottom + 36}" text-anchor="middle" fill="#333">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${n((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(options.yLabel)}</text>`);
  options.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const path = s.points.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${n(x(px))},${n(y(py))}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [px, py] of s.points) out.push(`<circle cx="${n(x(px))}" cy="${n(y(py))}" r="3" fill="${color}"/>`);
    const ly = top + 6 + i * 20;
    out.push(`<line x1="${right + 16}" x2="${right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${right + 42}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
