/**
 * Child process of devices.test.ts: WebGPU without a usable Vulkan driver (VK_DRIVER_FILES
 * set by the test) must fail with DEVICE_UNAVAILABLE naming the missing piece, leave the CPU
 * usable, and print nothing on stderr (the test reads it) unless INPROC_DEBUG asks.
 */
import { InprocError, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

const bytes = mlpModel(64);
const found: Record<string, unknown> = {};
try {
  // Disposed: a model left to the garbage collector is reported on stderr (rightly), which this child must keep empty.
  const model = await loadModel(bytes, { device: 'webgpu' });
  found.webgpu = 'loaded';
  await model.dispose();
} catch (error) {
  found.webgpu = InprocError.is(error) ? { code: error.code, message: error.message } : String(error);
}
const fastest = await loadModel(bytes, { device: 'fastest', deviceChoice: { cache: false } });
found.fastest = { device: fastest.device, timings: fastest.metadata['deviceTimings'], errors: fastest.metadata['deviceErrors'] };
await fastest.dispose();
console.log(JSON.stringify(found));
