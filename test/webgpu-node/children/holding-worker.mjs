// Worker of dead-holder.ts: takes the process-wide WebGPU lock as onnx-node's gpu-lock.ts
// does (compare-and-swap of the shared word from 0 to its thread id + 1; the word is the
// SharedArrayBuffer the main thread published when it imported inproc) and never gives it
// back; then either waits to be terminated or ends itself with process.exit() while holding it.
import { getEnvironmentData, parentPort, threadId, workerData } from 'node:worker_threads';

const word = new Int32Array(getEnvironmentData('inproc.onnx-node.webgpu-lock'));
if (Atomics.compareExchange(word, 0, 0, threadId + 1) !== 0) throw new Error('the lock was already held');
parentPort.postMessage('holding');
if (workerData.mode === 'exit') setTimeout(() => process.exit(7), 50);
setInterval(() => undefined, 1 << 30);
