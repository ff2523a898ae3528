/**
 * `inproc serve` as a subprocess of the repository's own CLI: what the tests, the benchmarks
 * and the manual Triton-client runs start, in one place.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's entry in this repository (testkit's dist sits beside the cli package). */
export const INPROC_CLI = fileURLToPath(new URL('../../cli/bin/inproc.js', import.meta.url));

/** `inproc serve` running: its URL once it printed it, what it wrote, and how to stop it. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  /** What it wrote to stderr ('' when stderr is inherited). */
  readonly stderr: () => string;
  /** Sends `signal` (SIGTERM by default) unless it already exited; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeProcessOptions {
  /** Port to listen on; 0 (default) lets the system choose. */
  readonly port?: number;
  /** `'pipe'` (default) keeps stderr for `stderr()`; `'inherit'` shows it (benchmarks). */
  readonly stderr?: 'pipe' | 'inherit';
}

/** Starts `inproc serve <root> --port <port> ...args` and resolves once it printed its URL; rejects if it exits first. */
export function serveProcess(root: string, args: readonly string[] = [], options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const { port = 0, stderr: stderrMode = 'pipe' } = options;
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };
    const child = spawn(process.execPath, [INPROC_CLI, 'serve', root, '--port', String(port), ...args], { env, stdio: ['ignore', 'pipe', stderrMode] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stdout!.on('data', (d: Buffer) => {
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
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`inproc serve exited with ${code} before printing its URL:\n${stderr}`));
      }
    });
  });
}
