/**
 * `inproc` for Node: everything of `@inproc/core`, with the onnxruntime-node backend
 * registered. Importing this module registers the backend (once per process, also when
 * several copies of the package are loaded).
 * @module
 */
import { hasBackend, registerBackend } from '@inproc/core';
import { onnxNodeBackend } from '@inproc/onnx-node';

if (!hasBackend(onnxNodeBackend.name)) registerBackend(onnxNodeBackend);

export * from '@inproc/core';
export { onnxNodeBackend } from '@inproc/onnx-node';
