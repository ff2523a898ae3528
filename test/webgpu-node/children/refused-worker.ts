/**
 * Child process of concurrency.test.ts: a worker thread started before the main thread
 * imported inproc has no share in the WebGPU lock, so it must be refused WebGPU with a
 * coded error (and still run on the CPU) rather than risk the process.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mlpModel } from '@inproc/testkit/onnx/models';

const file = join(mkdtempSync(join(tmpdir(), 'inproc-webgpu-')), 'mlp.onnx');
writeFileSync(file, mlpModel(64));
const worker = new Worker(new URL('./early-worker.mjs', import.meta.url), { env: { ...process.env, INPROC_TEST_MODEL: file } });
// Listening at once: a message that arrives before a listener would be lost.
const result = new Promise((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
});
// Only now does the main thread import inproc (and create the lock the worker did not get).
const { loadModel, Tensor } = await import('inproc');
const here = await loadModel(file, { device: 'webgpu' });
await here.run({ x: new Tensor('float32', new Float32Array(64), [1, 64]) });
const answer = await result;
await here.dispose();
console.log(JSON.stringify(answer));
