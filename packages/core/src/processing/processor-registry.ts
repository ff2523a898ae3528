/**
 * The processor registry: processors by name, created from data (`{ name, params }`),
 * so that a model directory's manifest can name its processors without running code.
 * Each factory validates its own parameters and throws `INPUT_INVALID` (or, when the
 * spec came from a manifest, the caller turns that into `MODEL_INVALID`).
 * @module
 */
import { InprocError } from '../errors.js';
import type { Processor } from './processor.js';
import { describe } from '../tensor.js';
import { globalSingleton } from '../global-singleton.js';

/** A processor named in data: a manifest entry. */
export interface ProcessorSpec {
  readonly name: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** Creates a processor from validated parameters. */
export interface ProcessorFactory {
  readonly name: string;
  /** One line for `inproc info` and error messages. */
  readonly description: string;
  /** Names of the parameters it accepts (unknown ones are rejected). */
  readonly params: readonly string[];
  /** Validates `params` and returns the processor; throws `INPUT_INVALID` naming the bad field. */
  create(params: Readonly<Record<string, unknown>>): Processor;
}

interface Registry {
  readonly factories: Map<string, ProcessorFactory>;
}

function registry(): Registry {
  return globalSingleton<Registry>('inproc.processors', () => ({ factories: new Map() }));
}

/** Registers a processor factory. The same object again is a no-op; another under a taken name throws unless `replace`. */
export function registerProcessor(factory: ProcessorFactory, options: { readonly replace?: boolean } = {}): void {
  if (typeof factory !== 'object' || factory === null || typeof factory.name !== 'string' || factory.name === '' || typeof factory.create !== 'function' || !Array.isArray(factory.params)) {
    throw new InprocError('INPUT_INVALID', 'registerProcessor: a factory needs name, description, params and create()');
  }
  const { factories } = registry();
  const existing = factories.get(factory.name);
  if (existing === factory) return;
  if (existing !== undefined && options.replace !== true) {
    throw new InprocError('INPUT_INVALID', `processor "${factory.name}" is already registered; pass { replace: true } to replace it`);
  }
  factories.set(factory.name, factory);
}

/** The registered processor factories, by name. */
export function listProcessors(): readonly ProcessorFactory[] {
  return [...registry().factories.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Creates a processor from a spec. Throws `INPUT_INVALID` for an unknown name, an
 * unknown parameter, or a parameter its factory rejects.
 */
export function createProcessor(spec: ProcessorSpec): Processor {
  if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string') {
    throw new InprocError('INPUT_INVALID', `a processor spec is { name, params? }, got ${describe(spec)}`);
  }
  const factory = registry().factories.get(spec.name);
  if (factory === undefined) {
    const known = listProcessors().map((f) => f.name);
    throw new InprocError('INPUT_INVALID', `unknown processor "${spec.name}"; registered: ${known.length ? known.join(', ') : 'none'} (processor packages such as @inproc/image register theirs when imported)`);
  }
  const params = spec.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InprocError('INPUT_INVALID', `processor "${spec.name}": params must be an object, got ${describe(params)}`);
  }
  for (const key of Object.keys(params)) {
    if (!factory.params.includes(key)) {
      throw new InprocError('INPUT_INVALID', `processor "${spec.name}": unknown parameter "${key}"; it takes ${factory.params.length ? factory.params.join(', ') : 'no parameters'}`);
    }
  }
  return factory.create(params);
}
