/**
 * examples/scale-out both ways: embedded, and against two `inproc serve` replicas
 * (`start:replicas`), with the same results.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

interface Result {
  mode: string;
  backend: string;
  orientation: string[];
  vad: number[];
}

function run(script: string): Promise<Result> {
  return new Promise((resolve, reject) =>
    execFile('npm', ['run', '--silent', script, '-w', 'examples/scale-out'], { cwd: REPO_ROOT, env: { ...process.env, INPROC_SERVERS: '' }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${script} failed: ${stderr}`));
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      resolve(JSON.parse(line ?? 'null') as Result);
    }),
  );
}

describe('examples/scale-out', () => {
  it('computes the same embedded and on two inproc serve replicas', async () => {
    const embedded = await run('start');
    const remote = await run('start:replicas');
    expect([embedded.mode, embedded.backend]).toEqual(['embedded', 'onnx-node']);
    expect([remote.mode, remote.backend]).toEqual(['remote (2 replicas)', 'kserve']);
    expect(embedded.orientation).toHaveLength(24);
    expect(embedded.vad).toHaveLength(62);
    expect(remote.orientation).toEqual(embedded.orientation);
    expect(remote.vad).toEqual(embedded.vad);
  });
});
