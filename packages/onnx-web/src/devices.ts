/**
 * Devices of the onnx-web backend and the onnxruntime-web execution providers behind
 * them, and the order `device: 'auto'` tries them in.
 * @module
 */

/** Devices of the onnx-web backend. */
export const ONNX_WEB_DEVICES = ['wasm', 'webgpu', 'webnn'] as const;

/** A device of the onnx-web backend. */
export type OnnxWebDevice = (typeof ONNX_WEB_DEVICES)[number];

/** Whether a string names a device of this backend. @internal */
export function isOnnxWebDevice(device: string): device is OnnxWebDevice {
  return (ONNX_WEB_DEVICES as readonly string[]).includes(device);
}

/**
 * Where outputs are left for each device when `preferredOutputLocation` asks for device
 * memory: WebGPU keeps GPU buffers, WebNN keeps ML tensors, WASM always returns CPU data.
 * @internal
 */
export const DEVICE_LOCATION: Readonly<Record<OnnxWebDevice, 'cpu' | 'gpu-buffer' | 'ml-tensor'>> = {
  wasm: 'cpu',
  webgpu: 'gpu-buffer',
  webnn: 'ml-tensor',
};
