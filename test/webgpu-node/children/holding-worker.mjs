// Worker of dead-holder.ts: takes the process-wide WebGPU lock (onnx-node's internal
// module, imported by its built file) and never gives it back; then either waits to be
// terminated or ends itself with process.exit() while holding it.
import { parentPort, workerData } from 'node:worker_threads';

const { withGpuLock } = await import(workerData.lockUrl);
void withGpuLock(() => {
  parentPort.postMessage('holding');
  if (workerData.mode === 'exit') setTimeout(() => process.exit(7), 50);
  return new Promise(() => undefined);
});
