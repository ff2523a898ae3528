/**
 * Warm-up: the one loop that runs a model before it is served (`loadModel`'s `warmup`
 * option, and a repository's manifests and options, whose sample files are read into
 * feeds first), on given feeds or on inputs synthesized from the signature
 * (`synthetic-feeds.ts`). Warm-up runs before the first
 * real call, so that it pays no initialisation (allocations, kernel selection, JIT).
 * @module
 */
import { InprocError, messageOf } from './errors.js';
import type { LoadOptions, WarmupOptions } from './model.js';
import type { ModelImpl } from './model-impl.js';
import type { Feeds } from './signature.js';
import type { Tensor } from './tensor.js';
import { throwIfAborted } from './call-signal.js';
import { describeFeeds, randomFeeds, withDims, zeroFeeds } from './synthetic-feeds.js';

/** `LoadOptions.warmup` as options: `true` is one run, a number that many. @internal */
export function warmupOptions(warmup: LoadOptions['warmup']): WarmupOptions {
  if (warmup === undefined || warmup === false) return { runs: 0 };
  if (warmup === true) return { runs: 1 };
  return typeof warmup === 'number' ? { runs: warmup } : warmup;
}

/**
 * Runs the model itself (past its processors and response cache, through its queue, so
 * counted in its stats) `runs` times (with isolation workers, each run once per worker, at
 * once, so that every worker's session is warm): on the given feeds (cycling through a list), or
 * on synthesized `data`; every output is freed at once. `where` names the model in errors.
 * @returns the runs made
 * @throws InprocError given feeds that do not fit keep their `INPUT_*` code, with
 *   `details.feedSet` (the index in the list); any other failure is `RUN_FAILED`
 * @internal
 */
export async function warmUp(model: ModelImpl<unknown, unknown>, options: WarmupOptions, where: string, signal?: AbortSignal, dims?: Readonly<Record<string, number>>): Promise<number> {
  const runs = options.runs ?? 1;
  if (runs === 0) return 0; // nothing to synthesize (`runs: 0` with feeds only for 'fastest')
  const given = options.feeds;
  const sets: readonly Feeds[] | undefined = given === undefined || typeof given === 'function' ? undefined : Array.isArray(given) ? given : [given as Feeds];
  const synthesize = (): Record<string, Tensor> => {
    const dynamicSize = options.dynamicSize ?? 1;
    const signature = dims === undefined ? model.signature : withDims(model.signature, dims);
    return options.data === 'random' ? randomFeeds(signature, { seed: options.seed ?? 1, dynamicSize }) : zeroFeeds(signature, dynamicSize);
  };
  const synthesized = (): Feeds | Promise<Feeds> => (typeof given === 'function' ? given(model.signature) : synthesize());
  const fixed = sets === undefined && typeof given !== 'function' ? synthesize() : undefined;
  for (let i = 0; i < runs; i++) {
    throwIfAborted(signal, 'the load');
    const set = sets === undefined ? undefined : i % sets.length;
    try {
      // One call per session at once (each isolation worker holds its own), so that every one is warm.
      // A warmup.feeds function is called once per session (each worker gets feeds of its own).
      const results = await Promise.allSettled(Array.from({ length: model.sessions }, async () => model.runFeeds(set === undefined ? (fixed ?? (await synthesized())) : sets![set]!)));
      // Warm-up results are nobody's: free them now (device outputs would otherwise live until dispose).
      for (const result of results) if (result.status === 'fulfilled') for (const tensor of Object.values(result.value)) tensor.dispose();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } catch (error) {
      if (signal?.aborted === true) throw error;
      if (given !== undefined && InprocError.is(error) && error.code.startsWith('INPUT_')) {
        const which = set === undefined ? `the feeds of run ${i + 1}` : `feed set ${set}`;
        throw new InprocError(error.code, `warm-up of ${where}: ${which} do not fit the model: ${error.message}`, { cause: error, details: { ...error.details, ...(set === undefined ? {} : { feedSet: set }) } });
      }
      const inputs =
        given === undefined
          ? `synthesized ${options.data ?? 'zeros'} inputs ${describeFeeds(fixed ?? {})}, dynamic dimensions ${options.dynamicSize ?? 1} unless options.dims sizes them; pass real inputs as options.warmup.feeds, or size the dynamic dimensions with options.dims ({ name: size } or { 'input[axis]': size })`
          : typeof given === 'function'
            ? 'feeds made by warmup.feeds()'
            : 'the given feeds';
      throw new InprocError('RUN_FAILED', `warm-up of ${where} failed on run ${i + 1} of ${runs} (${inputs}): ${messageOf(error)}`, { cause: error, details: { during: 'warm-up', synthesized: given === undefined } });
    }
  }
  return runs;
}
