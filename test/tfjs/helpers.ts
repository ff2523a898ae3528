/** Shared by the tfjs tests: the registered backend, TF.js's tensor count, error codes. */
import { hasBackend, registerBackend } from 'inproc';
import { tfjsBackend } from '@inproc/tfjs';
import * as tfModule from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

/** The TF.js API (a CommonJS package imported from ESM). */
export const tf: typeof tfModule = (tfModule as unknown as { default?: typeof tfModule }).default ?? tfModule;

// TF.js's own test flag (its test runner sets it): kernels are checked for leaked tensors,
// and its console notices (the CPU backend's "install our node backend" banner, printed when
// a test builds a model with tf directly) stay out of the test output.
tf.env().set('IS_TEST', true);

/** Live TF.js tensors in the process, across backends. */
export const liveTfTensors = (): number => tf.memory().numTensors;

/** The InprocError a promise rejects with (the tests' shared helper). */
export { failure as codeOf } from '../helpers/errors.js';

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'inproc-tfjs-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
