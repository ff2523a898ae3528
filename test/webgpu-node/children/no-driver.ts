/**
 * Child process of devices.test.ts: WebGPU with a Vulkan driver file that does not exist
 * must fail with DEVICE_UNAVAILABLE naming the missing piece, and leave the CPU usable.
 */
import { InprocError, loadModel } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

const bytes = mlpModel(64);
const found: Record<string, unknown> = {};
try {
  await loadModel(bytes, { device: 'webgpu' });
  found.webgpu = 'loaded';
} catch (error) {
  found.webgpu = InprocError.is(error) ? { code: error.code, message: error.message } : String(error);
}
const fastest = await loadModel(bytes, { device: 'fastest', deviceChoice: { cache: false } });
found.fastest = { device: fastest.device, timings: fastest.metadata['deviceTimings'] };
await fastest.dispose();
console.log(JSON.stringify(found));
