/**
 * Child process of dead-holder.test.ts: a thread that dies holding the process-wide WebGPU
 * lock must not leave every later WebGPU call waiting for ever. Modes:
 * - `terminate`: an application's worker holds the lock and is terminated;
 * - `exit`: the worker calls process.exit() while it holds the lock;
 * - `pool`: an isolation worker of a model is recorded as the holder (the lock word written
 *   here, as a worker killed mid-run leaves it) and the model is disposed, ending the worker.
 * Then a WebGPU model is loaded and run in the main thread. Prints one JSON line; a load
 * or run still waiting after 60 s is reported as hung (exit code 2).
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, getEnvironmentData } from 'node:worker_threads';
import { Tensor, liveResources, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

const mode = process.argv[2] ?? 'terminate';
const file = join(mkdtempSync(join(tmpdir(), 'inproc-webgpu-')), 'mlp.onnx');
writeFileSync(file, mlpModel(64));
// Published by onnx-node when 'inproc' was imported above (the lock word of gpu-lock.ts).
const word = new Int32Array(getEnvironmentData('inproc.onnx-node.webgpu-lock') as SharedArrayBuffer);

let holderTag: number;
let heldBy: number;
if (mode === 'pool') {
  const pooled = await loadModel(file, { isolation: 'worker', device: 'cpu' });
  const entry = liveResources().find((r) => r.label.startsWith('worker '));
  holderTag = Number(/^worker (\d+) /.exec(entry!.label)![1]) + 1;
  heldBy = Atomics.compareExchange(word, 0, 0, holderTag) === 0 ? holderTag : -1;
  await pooled.dispose();
} else {
  const worker = new Worker(new URL('./holding-worker.mjs', import.meta.url), { workerData: { mode } });
  holderTag = worker.threadId + 1;
  const exited = once(worker, 'exit');
  await once(worker, 'message');
  heldBy = Atomics.load(word, 0);
  if (mode === 'terminate') await worker.terminate();
  await exited;
}
const afterExit = Atomics.load(word, 0);

const guard = setTimeout(() => {
  console.log(JSON.stringify({ mode, hung: true, holderTag, heldBy, afterExit }));
  process.exit(2);
}, 60_000);
const model = await loadModel(file, { device: 'webgpu' });
const out = await model.run({ x: new Tensor('float32', new Float32Array(64).fill(0.5), [1, 64]) });
await model.dispose();
clearTimeout(guard);
console.log(JSON.stringify({ mode, hung: false, holderTag, heldBy, afterExit, device: model.device, outputs: out['y']!.size, lockAtEnd: Atomics.load(word, 0) }));
