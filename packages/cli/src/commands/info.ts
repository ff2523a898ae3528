/**
 * `inproc info <model>`: what the model is (format, size, producer, opsets, metadata),
 * which backends could load it here, and its signature with symbolic dimensions.
 * @module
 */
import { backendAvailability, listBackends, type Signature } from 'inproc';
import { readOnnxMetadata, type OnnxMetadata } from 'inproc/backend';
import { formatBytes, formatDims, formatMs, table } from '../format.js';
import type { Io, Style } from '../io.js';
import { loadModelFile, readModelFile, type ModelFile } from '../model-file.js';
import { parseCommand, UsageError } from '../usage.js';

export interface BackendCandidate {
  readonly name: string;
  readonly priority: number;
  readonly devices: readonly string[];
  readonly available: boolean;
  readonly reason?: string;
}

/** Backends registered for the file's format, by priority, with their availability here. */
export async function candidates(file: ModelFile): Promise<BackendCandidate[]> {
  const out: BackendCandidate[] = [];
  for (const backend of [...listBackends()].sort((a, b) => b.priority - a.priority)) {
    // A backend that takes URLs (kserve: a model on a server) cannot load a file.
    if (!backend.formats.includes(file.format) || backend.takes === 'url') continue;
    const availability = await backendAvailability(backend.name);
    out.push({ name: backend.name, priority: backend.priority, devices: backend.devices, available: availability.ok, ...(availability.ok ? {} : { reason: availability.reason }) });
  }
  return out;
}

/** TF.js model.json facts worth showing. */
function tfjsFacts(file: ModelFile): Record<string, string> {
  try {
    const doc = JSON.parse(new TextDecoder().decode(file.bytes)) as Record<string, unknown>;
    const facts: Record<string, string> = {};
    for (const key of ['generatedBy', 'convertedBy']) if (typeof doc[key] === 'string') facts[key] = doc[key];
    const manifest = doc['weightsManifest'];
    if (Array.isArray(manifest)) facts['weights'] = `${manifest.reduce((n: number, g: { weights?: unknown[] }) => n + (g.weights?.length ?? 0), 0)} tensors in ${file.shards.length} shard(s)`;
    return facts;
  } catch {
    return {};
  }
}

function signatureRows(signature: Signature, s: Style): string {
  const rows: string[][] = [];
  for (const [kind, list] of [
    ['input', signature.inputs],
    ['output', signature.outputs],
  ] as const) {
    for (const t of list) rows.push([s.dim(kind), s.bold(t.name), t.dtype, formatDims(t.shape, t.unknownRank === true)]);
  }
  return table(rows);
}

export async function infoCommand(args: readonly string[], io: Io, s: Style): Promise<void> {
  const { values, positionals } = parseCommand('info', args);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'info needs a model file' : `info takes one model, got ${positionals.length} arguments`, 'info');
  const file = await readModelFile(positionals[0]!, io.cwd);
  const onnx: OnnxMetadata | undefined = file.format === 'onnx' ? readOnnxMetadata(file.bytes) : undefined;
  const backends = await candidates(file);
  const { model, loadMs } = await loadModelFile(file, { backend: values.backend, device: values.device });
  try {
    const symbolic = [...new Set([...model.signature.inputs, ...model.signature.outputs].flatMap((t) => t.shape.filter((d): d is string => typeof d === 'string')))];
    if (values.json === true) {
      const result = {
        path: file.path,
        format: file.format,
        bytes: file.totalBytes,
        ...(file.shards.length > 0 ? { shards: file.shards } : {}),
        backends,
        loaded: { backend: model.backend, device: model.device, ms: loadMs },
        signature: model.signature,
        symbolicDims: symbolic,
        ...(onnx === undefined ? {} : { onnx }),
        ...(file.format === 'onnx' ? {} : { tfjs: tfjsFacts(file) }),
        metadata: model.metadata,
      };
      io.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
      return;
    }
    const facts: string[][] = [
      ['model', file.path],
      ['format', file.format],
      ['size', `${formatBytes(file.totalBytes)} (${file.totalBytes.toLocaleString('en-US')} bytes${file.shards.length > 0 ? `, model.json + ${file.shards.length} shard(s)` : ''})`],
    ];
    if (onnx !== undefined) {
      if (onnx.producerName !== undefined) facts.push(['producer', `${onnx.producerName}${onnx.producerVersion === undefined || onnx.producerVersion === '' ? '' : ` ${onnx.producerVersion}`}`]);
      facts.push(['onnx', `IR ${onnx.irVersion ?? '?'}, opsets ${Object.entries(onnx.opsets).map(([d, v]) => `${d === '' ? 'ai.onnx' : d} ${v}`).join(', ') || '(none)'}`]);
      if (onnx.domain !== undefined && onnx.domain !== '') facts.push(['domain', onnx.domain]);
      if (onnx.modelVersion !== undefined) facts.push(['version', String(onnx.modelVersion)]);
      if (onnx.docString !== undefined && onnx.docString !== '') facts.push(['doc', onnx.docString.split('\n')[0]!.slice(0, 120)]);
    } else {
      for (const [k, v] of Object.entries(tfjsFacts(file))) facts.push([k, v]);
    }
    const out: string[] = [table(facts.map(([k, v]) => [s.dim(k!), v!]))];
    out.push('', s.bold('backends'));
    out.push(
      table(
        backends.map((b) => [
          b.name === model.backend ? s.green(`* ${b.name}`) : `  ${b.name}`,
          b.devices.join(', '),
          b.available ? (b.name === model.backend ? s.green(`loaded on ${model.device} in ${formatMs(loadMs)}`) : 'available') : s.yellow(`unavailable: ${(b.reason ?? '').split('\n')[0]!}`),
        ]),
      ),
    );
    out.push('', s.bold('signature'), signatureRows(model.signature, s));
    if (symbolic.length > 0) out.push(s.dim(`symbolic dimensions: ${symbolic.join(', ')} (set them with --dim name=size in run and bench)`));
    const shown = new Set(facts.map(([k]) => k));
    const extra = Object.entries(model.metadata).filter(([k]) => !shown.has(k) && k !== 'format' && !['producerName', 'producerVersion', 'irVersion', 'opsets', 'domain', 'modelVersion', 'docString', 'properties'].includes(k));
    const props = onnx?.properties ?? {};
    if (extra.length > 0 || Object.keys(props).length > 0) {
      out.push('', s.bold('metadata'));
      const rows = [...Object.entries(props).map(([k, v]) => [k, v]), ...extra.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])];
      out.push(table(rows.map(([k, v]) => [s.dim(k!), v!.length > 200 ? `${v!.slice(0, 200)}…` : v!])));
    }
    io.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await model.dispose();
  }
}
