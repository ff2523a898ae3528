/**
 * `@inproc/server`: an Inproc model repository served over the Open Inference Protocol
 * (KServe v2 REST with the binary tensor data extension and Triton's model repository
 * extension), so that Triton and KServe clients — and Inproc's own `kserve` backend —
 * can use it. `inproc serve` runs it from the command line.
 * @module
 */
export { serve } from './server.js';
export { tritonModelOf, type TritonSource } from './triton.js';
export type { ServeOptions, InprocServer, ServerStats } from './types.js';
