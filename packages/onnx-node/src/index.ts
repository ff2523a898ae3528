export { onnxNodeBackend, autoDevices } from './backend.js';
export { EXECUTION_PROVIDERS, AUTO_ORDER, type OnnxNodeDevice } from './devices.js';
export { probeAdapter, vulkanAdapter, type WebGpuAdapterInfo, type AdapterProbe } from './adapter.js';
