// isolation: 'worker' must never keep a process alive by itself: a script that forgot
// dispose() ends when its work is done, and the forgotten model is still reported when it
// is garbage-collected. Each case runs as a Node subprocess that has to exit on its own.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '@inproc/testkit/onnx/models';

// The scripts live in a temporary folder: they import the built package by its file URL.
const inprocUrl = pathToFileURL(createRequire(import.meta.url).resolve('inproc')).href;
let dir: string;
let scripts = 0;
let modelPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inproc-isolation-exit-'));
  modelPath = join(dir, 'mlp.onnx');
  await writeFile(modelPath, mlpModel(16));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly hung: boolean;
}

/**
 * Runs an ES module (where `INPROC` stands for the package) in a fresh Node process and
 * waits for it to end. A process still alive after `limitMs` is killed and reported as
 * hung: that is the failure this file tests for, not a speed threshold.
 */
async function runScript(body: string, args: readonly string[] = [], limitMs = 30_000): Promise<Exit> {
  const script = join(dir, `script-${scripts++}.mjs`);
  await writeFile(script, body.replaceAll("'INPROC'", JSON.stringify(inprocUrl)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, script, modelPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

const LOAD_AND_RUN = `
import { loadModel, Tensor, resources } from 'INPROC';
const model = await loadModel(process.argv[2], { isolation: 'worker', workers: 2 });
const x = new Tensor('float32', new Float32Array(3 * 16).fill(0.5), [3, 16]);
const outs = await Promise.all([model.run({ x }), model.run({ x }), model.run({ x })]);
console.log(JSON.stringify({ lengths: outs.map((o) => o.y.data.length), sessions: resources().sessions }));
`;

describe("isolation: 'worker' and the process lifetime", { timeout: 90_000 }, () => {
  it('a script that never disposes its isolated model exits by itself after its last call', async () => {
    const exit = await runScript(`${LOAD_AND_RUN}\nglobalThis.keep = model; // still referenced: never collected, never disposed\n`);
    expect(exit.hung, `the process did not exit; stderr:\n${exit.stderr}`).toBe(false);
    expect(exit.code, exit.stderr).toBe(0);
    // The work was done in the workers before the process ended: two worker sessions were live (one each).
    expect(JSON.parse(exit.stdout)).toEqual({ lengths: [48, 48, 48], sessions: 2 });
  });

  it('calls still in flight keep it alive until they answer', async () => {
    // No await at the top level: only the workers' pending calls keep the event loop busy.
    const exit = await runScript(`
import { loadModel, Tensor } from 'INPROC';
loadModel(process.argv[2], { isolation: 'worker', workers: 1 }).then((model) => {
  const x = new Tensor('float32', new Float32Array(16).fill(1), [1, 16]);
  for (let i = 0; i < 20; i++) model.run({ x }).then((out) => console.log('answer', i, out.y.data.length));
});
`);
    expect(exit.hung, `the process did not exit; stderr:\n${exit.stderr}`).toBe(false);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `answer ${i} 16`));
  });

  it('a forgotten isolated model is still reported when it is garbage-collected, and the process still exits', async () => {
    const exit = await runScript(
      `
import { loadModel, Tensor } from 'INPROC';
const warnings = [];
process.on('warning', (w) => warnings.push(w));
async function forget() {
  const model = await loadModel(process.argv[2], { isolation: 'worker' });
  await model.run({ x: new Tensor('float32', new Float32Array(16), [1, 16]) });
}
await forget();
for (let i = 0; i < 100 && warnings.length === 0; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(JSON.stringify(warnings.map((w) => ({ name: w.name, code: w.code, message: w.message }))));
`,
      ['--expose-gc'],
    );
    expect(exit.hung, `the process did not exit; stderr:\n${exit.stderr}`).toBe(false);
    expect(exit.code, exit.stderr).toBe(0);
    const warnings = JSON.parse(exit.stdout) as { name: string; code: string; message: string }[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ name: 'InprocLeakWarning', code: 'INPROC_MODEL_NOT_DISPOSED' });
    expect(warnings[0]!.message).toContain('garbage-collected without dispose()');
  });

  it('dispose() still waits for the workers to free their sessions', async () => {
    const exit = await runScript(`${LOAD_AND_RUN}\nawait model.dispose();\nconsole.log(JSON.stringify(resources()));\n`);
    expect(exit.hung, exit.stderr).toBe(false);
    expect(exit.code, exit.stderr).toBe(0);
    const [first, after] = exit.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
    expect(first).toEqual({ lengths: [48, 48, 48], sessions: 2 });
    expect(after).toEqual({ models: 0, sessions: 0, tensors: 0, bytes: 0 });
  });
});
