/**
 * Starts two `inproc serve` replicas of the app's repository on free loopback ports,
 * runs the app against them (INPROC_SERVERS), and stops them; exits with the app's code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareRepository } from './models.js';

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('@inproc/cli/package.json')), 'bin', 'inproc.js');
const root = await prepareRepository();

function replica(): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
      if (url !== undefined) resolve({ url, child });
    });
    child.on('exit', (code) => reject(new Error(`inproc serve exited with ${code}`)));
  });
}

const replicas = await Promise.all([replica(), replica()]);
const app = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url))], {
  stdio: 'inherit',
  env: { ...process.env, INPROC_SERVERS: replicas.map((r) => r.url).join(',') },
});
const code = await new Promise<number | null>((resolve) => app.on('exit', resolve));
for (const r of replicas) r.child.kill('SIGTERM');
await Promise.all(replicas.map((r) => new Promise((resolve) => (r.child.exitCode === null ? r.child.on('exit', resolve) : resolve(undefined)))));
process.exitCode = code ?? 1;
