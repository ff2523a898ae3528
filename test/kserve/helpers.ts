/**
 * Helpers of the kserve and server tests: model repositories in temporary folders, and
 * `inproc serve` run either in this process (`serve()`) or as a subprocess of the built
 * CLI (so that `resources()` here counts only the client's side). All on loopback, port 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/bin/inproc.js');

/** One version of a model: its ONNX bytes, or bytes plus a manifest and other files. */
export type VersionSpec = Uint8Array | { readonly bytes: Uint8Array; readonly file?: string; readonly manifest?: object; readonly files?: Readonly<Record<string, string | Uint8Array>> };

/** Writes `<root>/<name>/<version>/...` for each entry (`'mlp'` is version 1, `'mlp/2'` version 2). */
export async function writeRepository(root: string, models: Readonly<Record<string, VersionSpec>>): Promise<string> {
  for (const [key, spec] of Object.entries(models)) {
    const [name, version = '1'] = key.split('/');
    const dir = join(root, name!, version);
    await mkdir(dir, { recursive: true });
    const s = spec instanceof Uint8Array ? { bytes: spec } : spec;
    await writeFile(join(dir, s.file ?? 'model.onnx'), s.bytes);
    if (s.manifest !== undefined) await writeFile(join(dir, 'inproc.json'), JSON.stringify(s.manifest));
    for (const [file, content] of Object.entries(s.files ?? {})) await writeFile(join(dir, file), content);
  }
  return root;
}

/** A fresh temporary repository holding `models`. */
export async function tempRepository(models: Readonly<Record<string, VersionSpec>> = {}): Promise<string> {
  return writeRepository(await mkdtemp(join(tmpdir(), 'inproc-kserve-')), models);
}

/** `inproc serve` as a subprocess: its URL once it printed it, and how to stop it. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `inproc serve <root> --port <port> ...args` and resolves once it printed its URL. */
export function serveProcess(root: string, args: readonly string[] = [], port = 0): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };
    const child = spawn(process.execPath, [CLI, 'serve', root, '--port', String(port), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /http:\/\/[\d.:[\]]+:\d+/.exec(stdout)?.[0];
      if (url !== undefined && !settled) {
        settled = true;
        resolve({
          url,
          child,
          stdout: () => stdout,
          stderr: () => stderr,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`inproc serve exited with ${code} before printing its URL:\n${stderr}`));
      }
    });
  });
}

/** Raw HTTP with fetch: status, headers, body bytes and (when JSON) the parsed body. */
export async function http(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: unknown }> {
  const response = await fetch(url, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, bytes, json };
}
