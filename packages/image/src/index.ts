/**
 * @inproc/image for Node: sharp decodes and resamples. Importing registers the image
 * processors (`image.preprocess`, `image.resize`, ...) for manifests.
 * @module
 */
import { nodePlatform } from './node-platform.js';
import { setPlatform } from './platform.js';
import { registerImageProcessors } from './processors.js';

setPlatform(nodePlatform);
registerImageProcessors();

export * from './api.js';
