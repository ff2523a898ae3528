/**
 * Registers the generic processors of core (`softmax`, `sigmoid`, `argmax`, `top-k`,
 * `threshold`, `pick-output`) so that manifests can name them. Registration skips a
 * name already taken, so a second copy of core in one process does not throw.
 * @module
 */
import { listProcessors, registerProcessor, type ProcessorFactory } from '../processor-registry.js';
import { argmaxFactory } from './argmax.js';
import { pickOutputFactory } from './pick-output.js';
import { sigmoidFactory } from './sigmoid.js';
import { softmaxFactory } from './softmax.js';
import { thresholdFactory } from './threshold.js';
import { topKFactory } from './top-k.js';

/** The factories of core's generic processors. */
export const BUILTIN_PROCESSORS: readonly ProcessorFactory[] = [softmaxFactory, sigmoidFactory, argmaxFactory, topKFactory, thresholdFactory, pickOutputFactory];

const taken = new Set(listProcessors().map((f) => f.name));
for (const factory of BUILTIN_PROCESSORS) if (!taken.has(factory.name)) registerProcessor(factory);
