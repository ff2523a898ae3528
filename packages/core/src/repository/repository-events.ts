/**
 * A tiny typed event hub for repository events. Listeners are isolated: one that throws
 * does not stop the others nor the operation that emitted (a cache eviction must not be
 * undone by a logging bug); its error is re-emitted as an `error` event with phase
 * `listener`, and only printed when that listener throws too.
 * @module
 * @internal
 */
import { InprocError, messageOf } from '../errors.js';
import type { RepositoryEvent, RepositoryEventType } from './repository-types.js';

type AnyListener = (event: RepositoryEvent) => void;

export class RepositoryEvents {
  readonly #listeners = new Map<RepositoryEventType | '*', Set<AnyListener>>();

  on(type: RepositoryEventType | '*', listener: AnyListener): () => void {
    if (typeof listener !== 'function') throw new InprocError('INPUT_INVALID', `repository.on("${type}"): the listener must be a function`);
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    // A wrapper per subscription, so subscribing one function twice gives two independent unsubscribes.
    const entry: AnyListener = (event) => listener(event);
    set.add(entry);
    return () => void set.delete(entry);
  }

  emit(event: RepositoryEvent): void {
    for (const listener of [...(this.#listeners.get(event.type) ?? []), ...(this.#listeners.get('*') ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        if (event.type === 'error' && event.phase === 'listener') {
          console.error('inproc repository: an error listener threw while handling a listener error:', error);
          continue;
        }
        const name = 'name' in event ? event.name : undefined;
        const version = 'version' in event ? event.version : undefined;
        this.emit({ type: 'error', name, version, phase: 'listener', error: new InprocError('RUN_FAILED', `a "${event.type}" listener threw: ${messageOf(error)}`, { cause: error }) });
      }
    }
  }
}
