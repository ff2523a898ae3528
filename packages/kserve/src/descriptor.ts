/**
 * The kserve backend as registered: the facts the registry chooses by, cheap to import.
 * Its code (`backend.ts`: the protocol, the JSON codec, replicas) is imported on the first
 * load, so a process or a browser bundle that never names `backend: 'kserve'` does not
 * carry it. Also the package's `./descriptor` entry, which `inproc` imports.
 * @module
 */
import { MODEL_FORMATS } from '@inproc/core';
import type { Backend } from '@inproc/core/backend';

/** The device a remote model reports. */
export const REMOTE_DEVICE = 'remote';

/** The backend object. `inproc` registers it; name it in `LoadOptions.backend` to use it. */
export const kserveBackend: Backend = {
  name: 'kserve',
  // Never chosen under 'auto': it takes URLs, so it is used only when named.
  priority: -100,
  formats: MODEL_FORMATS,
  devices: [REMOTE_DEVICE],
  takes: 'url',
  isAvailable: () => typeof globalThis.fetch === 'function',
  load: async (source, options) => (await import('./backend.js')).load(source, options),
};
