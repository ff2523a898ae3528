/**
 * Entry of the worker threads behind `isolation: 'worker'`: registers the same
 * backends as the main entry, then serves one model to its parent thread.
 * @module
 */
import { serveIsolatedModel } from '@inproc/core/backend';
import './register-node.js';

await serveIsolatedModel();
