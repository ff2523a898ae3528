export { onnxNodeBackend, autoDevices } from './descriptor.js';
export { EXECUTION_PROVIDERS, AUTO_ORDER, type OnnxNodeDevice } from './devices.js';
export { probeAdapter, vulkanAdapter, type WebGpuAdapterInfo, type AdapterProbe } from './adapter.js';
export { setSessionDefaults, withSessionDefaults, type SessionDefaults } from './session-defaults.js';
