/**
 * @inproc/image for browsers and workers: createImageBitmap decodes, OffscreenCanvas
 * resamples. Same API as the Node entry; importing registers the image processors.
 * @module
 */
import { browserPlatform } from './browser-platform.js';
import { setPlatform } from './platform.js';
import { registerImageProcessors } from './processors.js';

setPlatform(browserPlatform);
registerImageProcessors();

export * from './api.js';
