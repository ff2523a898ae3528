/**
 * `device: 'fastest'`: load a model on each usable device of a backend, time it on the
 * warm-up feeds, keep the fastest session and release the others. No static rule gets
 * this right (a GPU is 6x faster on a large convolutional batch and 10x slower on a tiny
 * recurrent model); measuring does. The decision is cached in a small JSON file keyed by
 * the model's bytes, the feed shapes, the devices and the runtime/adapter versions, so a
 * restarted process does not measure again. The chosen session is returned as is: a
 * model loaded with `'fastest'` costs per call exactly what the plain device costs.
 *
 * Backends opt in by listing `'fastest'` in their devices and calling {@link chooseDevice}
 * from their `load()` with the devices worth measuring.
 * @module
 */
import type { BackendSession, DeviceChoiceOptions, ModelSource } from './backend.js';
import { throwIfAborted } from './call-signal.js';
import { InprocError, messageOf } from './errors.js';
import { isNode, nodeImport } from './platform.js';
import { type Feeds, type Signature, validateFeeds } from './signature.js';
import { readRegularFile } from './source.js';
import { describe, type Tensor } from './tensor.js';
import { describeFeeds, randomFeeds, withDims } from './synthetic-feeds.js';

/** What a backend passes to {@link chooseDevice}. */
export interface DeviceChoiceRequest<S extends BackendSession> {
  readonly source: ModelSource;
  /** Devices to measure; the first is the baseline (the CPU) and must load. */
  readonly devices: readonly string[];
  /** What else decides the outcome: runtime versions, adapter name... (part of the cache key). */
  readonly environment: string;
  load(device: string): Promise<S>;
  /** Feeds to time on (`warmup.feeds`); default: random feeds sized by `dims` (names or `input[axis]`), other dynamic dimensions 1. */
  readonly feeds?: Feeds | ((signature: Signature) => Feeds | Promise<Feeds>) | undefined;
  readonly dims?: Readonly<Record<string, number>> | undefined;
  readonly options?: DeviceChoiceOptions | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The outcome: the kept session and what was measured (median ms per device tried). */
export interface DeviceChoice<S extends BackendSession> {
  readonly session: S;
  readonly device: string;
  /** Median ms of one run, per device that loaded and ran (`metadata.deviceTimings`). */
  readonly timings: Readonly<Record<string, number>>;
  /** Why each other device tried could not load or run: the first line of its error (`metadata.deviceErrors`). */
  readonly errors: Readonly<Record<string, string>>;
  /** `measured` now, or read from the `cache` file. */
  readonly decidedBy: 'measured' | 'cache';
}

const DEFAULT_BUDGET_MS = 1000;
const DEFAULT_MARGIN = 0.8;
const MAX_TIMED_RUNS = 50;

/** Loads the model on the device that runs it fastest; see the module comment. */
export async function chooseDevice<S extends BackendSession>(request: DeviceChoiceRequest<S>): Promise<DeviceChoice<S>> {
  const { devices, options = {}, signal } = request;
  const baselineDevice = devices[0];
  if (baselineDevice === undefined) throw new InprocError('DEVICE_UNAVAILABLE', `${request.source.name}: no device to measure`);
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const margin = options.margin ?? DEFAULT_MARGIN;

  const baseline = await request.load(baselineDevice);
  let kept: { session: S; device: string; median: number } | undefined;
  try {
    const feeds = await feedsFor(baseline.signature, request.feeds, request.dims);
    const cache = await decisionCache(options.cache, signal);
    const key = cache === undefined ? undefined : await cacheKey(request, feeds);
    const cached = key === undefined ? undefined : await cache!.read(key);
    if (cached !== undefined && devices.includes(cached.device)) {
      const { timings, errors } = cached;
      if (cached.device === baselineDevice) return { session: baseline, device: baselineDevice, timings, errors, decidedBy: 'cache' };
      try {
        const session = await request.load(cached.device);
        await baseline.dispose();
        return { session, device: cached.device, timings, errors, decidedBy: 'cache' };
      } catch {
        // the cached device cannot load now: measure again
      }
    }

    const timings: Record<string, number> = {};
    const errors: Record<string, string> = {};
    let baselineMedian: number;
    try {
      baselineMedian = await median(baseline, feeds, budgetMs, Number.POSITIVE_INFINITY, signal);
    } catch (error) {
      throw timingInputsFailed(error, request, feeds, baselineDevice);
    }
    timings[baselineDevice] = baselineMedian;
    kept = { session: baseline, device: baselineDevice, median: baselineMedian };
    for (const device of devices.slice(1)) {
      throwIfAborted(signal, 'the load');
      let session: S;
      try {
        session = await request.load(device);
      } catch (error) {
        errors[device] = messageOf(error).split('\n')[0]!;
        continue;
      }
      let ms: number;
      try {
        // A device whose first timed run takes 10x the best median cannot win: one run says so.
        ms = await median(session, feeds, budgetMs, kept.median * 10, signal);
      } catch (error) {
        await session.dispose();
        if (InprocError.is(error) && error.code === 'ABORTED') throw error;
        errors[device] = messageOf(error).split('\n')[0]!;
        continue;
      }
      timings[device] = ms;
      if (ms < kept.median * (kept.device === baselineDevice ? margin : 1)) {
        await kept.session.dispose();
        kept = { session, device, median: ms };
      } else {
        await session.dispose();
      }
    }
    if (key !== undefined) await cache!.write(key, { device: kept.device, timings, errors });
    const chosen = kept;
    kept = undefined;
    return { session: chosen.session, device: chosen.device, timings, errors, decidedBy: 'measured' };
  } catch (error) {
    await (kept?.session ?? baseline).dispose();
    throw error;
  }
}

/**
 * Median ms of one run, after one untimed run (shader compilation, allocations). A
 * device whose first timed run already exceeds `hopelessMs` is not timed further.
 */
async function median(session: BackendSession, feeds: Record<string, Tensor>, budgetMs: number, hopelessMs: number, signal: AbortSignal | undefined): Promise<number> {
  const outputs = session.signature.outputs.map((o) => o.name);
  const once = async (): Promise<number> => {
    throwIfAborted(signal, 'the load');
    const start = performance.now();
    const results = await session.run(feeds, { outputs });
    const ms = performance.now() - start;
    for (const tensor of Object.values(results)) tensor.dispose();
    return ms;
  };
  await once();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  do times.push(await once());
  while (times[0]! <= hopelessMs && times.length < MAX_TIMED_RUNS && performance.now() < end);
  times.sort((a, b) => a - b);
  return times[Math.floor((times.length - 1) / 2)]!;
}

/**
 * The error for a baseline that cannot run on the timing inputs: synthesized ones are a
 * guess (dynamic dimensions 1, random integers 0 or 1), and many real models need more
 * (an audio frame of 512 samples, a sample rate of 16000), so the message names what was
 * fed and the two ways to say better. An abort stays an abort.
 */
function timingInputsFailed(error: unknown, request: DeviceChoiceRequest<BackendSession>, feeds: Readonly<Record<string, Tensor>>, device: string): unknown {
  if (InprocError.is(error) && (error.code === 'ABORTED' || error.code.startsWith('INPUT_'))) return error;
  const synthesized = request.feeds === undefined;
  const inputs = describeFeeds(feeds);
  const fix = synthesized
    ? `these inputs are synthesized (random, dynamic dimensions 1 unless options.dims sizes them); pass real inputs as options.warmup.feeds, or size the dynamic dimensions with options.dims ({ name: size } or { 'input[axis]': size }; CLI: --input and --dim)`
    : 'these are the given warmup.feeds: check that the model runs on them';
  return new InprocError('RUN_FAILED', `device: 'fastest' could not time ${request.source.name} on ${device}: the model failed on the timing inputs (${inputs}): ${messageOf(error).split('\n')[0]!}; ${fix}`, {
    cause: error,
    details: { during: 'device-choice', timingInputs: Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape }])), synthesized },
  });
}

async function feedsFor(signature: Signature, given: DeviceChoiceRequest<BackendSession>['feeds'], dims: Readonly<Record<string, number>> | undefined): Promise<Record<string, Tensor>> {
  const made = typeof given === 'function' ? await given(signature) : given;
  return made === undefined ? randomFeeds(withDims(signature, dims)) : validateFeeds(signature, made);
}

/** Checks `LoadOptions.dims` and `LoadOptions.deviceChoice`. @internal */
export function checkDeviceChoiceOptions(dims: unknown, choice: unknown): void {
  if (dims !== undefined && (typeof dims !== 'object' || dims === null || Object.values(dims).some((n) => !(Number.isInteger(n) && (n as number) >= 1)))) {
    throw new InprocError('INPUT_INVALID', `options.dims must map dimension names to positive integers, got ${describe(dims)}`);
  }
  if (choice === undefined) return;
  const c = choice as DeviceChoiceOptions;
  const ok =
    typeof choice === 'object' &&
    choice !== null &&
    (c.cache === undefined || c.cache === false || (typeof c.cache === 'string' && c.cache !== '')) &&
    (c.budgetMs === undefined || (typeof c.budgetMs === 'number' && c.budgetMs >= 0 && Number.isFinite(c.budgetMs))) &&
    (c.margin === undefined || (typeof c.margin === 'number' && c.margin > 0 && c.margin <= 1));
  if (!ok) throw new InprocError('INPUT_INVALID', `options.deviceChoice must be { cache?: false | directory, budgetMs?: ms >= 0, margin?: (0, 1] }, got ${describe(choice)}`);
}

interface Decision {
  readonly device: string;
  readonly timings: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, string>>;
}

interface DecisionCache {
  read(key: string): Promise<Decision | undefined>;
  write(key: string, decision: Decision): Promise<void>;
}

interface NodeCacheFs {
  writeFile(path: string, data: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
}

/** Cache files hold a few hundred bytes; anything larger is not one. */
const MAX_CACHE_FILE_BYTES = 1 << 20;

async function decisionCache(setting: false | string | undefined, signal: AbortSignal | undefined): Promise<DecisionCache | undefined> {
  if (setting === false || !isNode()) return undefined;
  const [fs, path, os] = await Promise.all([
    nodeImport<NodeCacheFs>('fs/promises'),
    nodeImport<{ join(...p: string[]): string }>('path'),
    nodeImport<{ homedir(): string }>('os'),
  ]);
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const directory = setting ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'inproc');
  const file = (key: string): string => path.join(directory, `device-choice-${key.slice(0, 32)}.json`);
  return {
    async read(key) {
      let text: string;
      try {
        // Regular files only: a FIFO or device planted at the path is refused at once, never waited on.
        text = new TextDecoder().decode(await readRegularFile(file(key), { what: "'fastest' decision cache file", maxBytes: MAX_CACHE_FILE_BYTES, signal }));
      } catch (error) {
        if (InprocError.is(error) && error.code === 'ABORTED') throw error;
        return undefined; // absent, unreadable, not a regular file: measure
      }
      return parseDecision(text, key);
    },
    async write(key, decision) {
      // Written beside and renamed, so a concurrent reader sees the old file or the new one.
      try {
        await fs.mkdir(directory, { recursive: true });
        const temp = `${file(key)}.${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`;
        await fs.writeFile(temp, JSON.stringify({ key, ...decision, decidedAt: new Date().toISOString() }, null, 2));
        await fs.rename(temp, file(key));
      } catch {
        // a read-only or full disk costs a measurement next time, nothing more
      }
    },
  };
}

/** A cache file's decision, or `undefined` when it is not one for `key`. Files of older releases kept errors among the timings. */
function parseDecision(text: string, key: string): Decision | undefined {
  let json: { key?: unknown; device?: unknown; timings?: unknown; errors?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return undefined;
  }
  if (json.key !== key || typeof json.device !== 'string' || typeof json.timings !== 'object' || json.timings === null) return undefined;
  const timings: Record<string, number> = {};
  const errors: Record<string, string> = {};
  const entries = [...Object.entries(json.timings), ...(typeof json.errors === 'object' && json.errors !== null ? Object.entries(json.errors) : [])];
  for (const [device, value] of entries) {
    if (typeof value === 'number' && Number.isFinite(value)) timings[device] = value;
    else if (typeof value === 'string') errors[device] = value;
  }
  return { device: json.device, timings, errors };
}

async function cacheKey(request: DeviceChoiceRequest<BackendSession>, feeds: Record<string, Tensor>): Promise<string> {
  const crypto = await nodeImport<{ createHash(algorithm: 'sha256'): { update(data: Uint8Array | string): { digest(encoding: 'hex'): string } } }>('crypto');
  const modelHash = crypto.createHash('sha256').update(request.source.bytes).digest('hex');
  const shapes = Object.entries(feeds).map(([name, t]) => `${name}:${t.dtype}[${t.shape.join(',')}]`);
  const parts = [modelHash, shapes.join(' '), request.devices.join(','), request.environment];
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex');
}
