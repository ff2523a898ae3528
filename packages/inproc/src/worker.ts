/**
 * Entry of the worker threads behind `isolation: 'worker'`: registers the same
 * backends as the main entry, then serves one model to its parent thread.
 * @module
 */
import { serveIsolatedModel } from '@inproc/core/backend';
// The Node entry (dist/node.js), by the package's own name rather than './register-node.js':
// a module that two entries import goes into a chunk of its own, which `import 'inproc'` would
// then load and resolve the backend packages from a second time (benchmarks/cold-start).
import 'inproc';

await serveIsolatedModel();
