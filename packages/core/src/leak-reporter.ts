/**
 * Reports models that were garbage-collected without `dispose()`. It never frees them
 * silently: a leak is a bug in the caller, and freeing from a finalizer would hide it
 * (and race with native code). Each model is reported once, with where it was loaded.
 * @module
 * @internal
 */

interface Held {
  readonly description: string;
  readonly loadedAt: string;
}

const registry = new FinalizationRegistry<Held>((held) => {
  const message = `inproc: a model (${held.description}) was garbage-collected without dispose(); its native memory stays allocated until the process exits. Call model.dispose() or declare it with \`await using\`. It was loaded at:\n${held.loadedAt}`;
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { type: 'InprocLeakWarning', code: 'INPROC_MODEL_NOT_DISPOSED' });
  else console.warn(message);
});

/** Where the caller loaded a model: the stack without Inproc's own frames. */
export function callerStack(): string {
  const stack = new Error('loaded here').stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !/[\\/](?:packages[\\/]core|@inproc[\\/]core)[\\/]/.test(line))
    .join('\n');
}

export function watchForLeak(model: object, description: string, loadedAt: string, token: object): void {
  registry.register(model, { description, loadedAt }, token);
}

export function forgetLeakWatch(token: object): void {
  registry.unregister(token);
}
