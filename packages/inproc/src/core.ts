/**
 * `inproc` outside Node: the core API. Register a backend for the environment (e.g.
 * `@inproc/onnx-web`) before loading models.
 * @module
 */
export * from '@inproc/core';
