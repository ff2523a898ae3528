import { expect, it } from 'vitest';
import { loadModel, resources } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

const gc = (globalThis as { gc?: () => void }).gc;

async function loadAndForget(): Promise<void> {
  // Loaded and dropped without dispose(): a bug the library must report, not hide.
  await loadModel(mlpModel(8));
}

it('warns once, with where the model was loaded, when a model is garbage-collected without dispose()', async () => {
  expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await loadAndForget();
    expect(resources().models).toBe(1);
    for (let i = 0; i < 100 && warnings.length === 0; i++) {
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings).toHaveLength(1);
  const [warning] = warnings as [Error & { code?: string }];
  expect(warning.name).toBe('InprocLeakWarning');
  expect(warning.code).toBe('INPROC_MODEL_NOT_DISPOSED');
  expect(warning.message).toContain('garbage-collected without dispose()');
  expect(warning.message).toContain('leak-warning.test.ts'); // the caller's frame, not Inproc's
  // Never freed silently: the session is still accounted for.
  expect(resources().sessions).toBe(1);
});
