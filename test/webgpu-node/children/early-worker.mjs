// Worker of children/refused-worker.ts: imports inproc only now, in a thread started
// before the main thread imported it, and tries WebGPU, then the CPU.
import { parentPort } from 'node:worker_threads';
import { loadModel } from 'inproc';
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.env.INPROC_TEST_MODEL);
const result = {};
try {
  const model = await loadModel(bytes, { device: 'webgpu' });
  result.webgpu = `loaded on ${model.device}`;
  await model.dispose();
} catch (error) {
  result.webgpu = { code: error.code, message: error.message };
}
const cpu = await loadModel(bytes, { device: 'cpu' });
result.cpu = cpu.device;
await cpu.dispose();
parentPort.postMessage(result);
