/**
 * Entry of a Web Worker behind `isolation: 'worker'` in browsers: registers the same
 * backends as the browser entry, then serves one model to the page. Use it from a worker
 * file of your app (`import 'inproc/worker'`) and point `configureIsolation` at it.
 * @module
 */
import { serveIsolatedModel } from '@inproc/core/backend';
import './register-browser.js';

await serveIsolatedModel();
