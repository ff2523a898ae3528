/**
 * The tfjs backend as registered: the facts the registry chooses by (name, priority,
 * formats, devices), cheap to import. Its code (`backend.ts`, the model.json reader, the
 * session, and TensorFlow.js with them) is imported the first time the backend is a candidate.
 * @module
 */
import type { Backend } from '@inproc/core/backend';
import { TFJS_DEVICES } from './types.js';

const implementation = () => import('./backend.js');

/** The tfjs backend object; `inproc` registers it, or call `registerBackend(tfjsBackend)`. */
export const tfjsBackend: Backend = {
  name: 'tfjs',
  priority: 50,
  formats: ['tfjs-graph', 'tfjs-layers'],
  devices: TFJS_DEVICES,
  // Not wasmPaths (code) nor weights (bytes a manifest cannot hold anyway).
  manifestOptions: ['strict'],
  isAvailable: async () => (await implementation()).isAvailable(),
  load: async (source, options) => (await implementation()).loadTfjsModel(source, options),
};
