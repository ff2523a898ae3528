/**
 * The registrations of the Node entry (`node.ts`; the worker entry `worker.ts` imports that
 * entry by the package's name): the backends' light descriptors, and the worker script of
 * `isolation: 'worker'`. Registers once per process, also when several copies of the
 * package are loaded.
 * @module
 */
import { configureIsolation, hasBackend, registerBackend } from '@inproc/core';
import { onnxNodeBackend } from '@inproc/onnx-node';
import { onnxWebBackend } from '@inproc/onnx-web';
import { tfjsBackend } from '@inproc/tfjs';
import { kserveBackend } from '@inproc/kserve/descriptor';

const browserLike = typeof (globalThis as { window?: unknown }).window === 'object';
if (!browserLike && !hasBackend(onnxNodeBackend.name)) registerBackend(onnxNodeBackend);
if (!hasBackend(onnxWebBackend.name)) registerBackend(onnxWebBackend);
// Cheap to register: TensorFlow.js is imported only when a TF.js model is loaded.
if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);
if (!hasBackend(kserveBackend.name)) registerBackend(kserveBackend);
// Workers of `isolation: 'worker'` start from this package's worker entry, which registers the same backends.
configureIsolation({ workerEntry: new URL('./worker.js', import.meta.url) });
