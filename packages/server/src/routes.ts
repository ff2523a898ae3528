/**
 * The endpoints of the Open Inference Protocol REST API over an Inproc `Repository`:
 * health, server and model metadata, model readiness, inference (JSON and binary
 * tensor data, Triton's schedule policy parameters), and Triton's statistics and model
 * repository extensions (index, load, unload). Each
 * handler returns an answer; the server writes it. Names are passed to the repository,
 * which refuses those that resolve outside its root; nothing here touches files.
 * @module
 */
import { InprocError, type ModelLease, type Outputs, type Repository, type RunOptions, type Tensor, isTensor } from '@inproc/core';
import { HEADER_LENGTH, JOIN_BELOW, type RawInput, type ServerMetadata, decodeInferRequestAsync, encodeInferResponse, modelMetadata as metadataBody, parseJson, tritonConfig } from '@inproc/kserve/protocol';
import { HttpError, withoutRoot } from './http-errors.js';
import { tritonModelOf } from './triton.js';

/** A handler's answer: a JSON value, or bytes (one buffer, or parts written one after the other without joining them). */
export type Answer = { readonly status: number; readonly json: unknown } | { readonly status: number; readonly body: Uint8Array | readonly Uint8Array[]; readonly headers: Readonly<Record<string, string>> };

/** What the handlers need from the server. */
export interface RouteContext {
  readonly repository: Repository;
  readonly server: ServerMetadata;
  /** Models unloaded through the repository extension: not ready, not served, until loaded again. */
  readonly unloaded: Set<string>;
  readonly closing: () => boolean;
  /** Load and unload requests, one at a time per model, in arrival order. */
  readonly control: PerModelQueue;
  /** When each `name@version` last answered an inference, ms since the epoch (statistics). */
  readonly lastInference: Map<string, number>;
}

/** Runs tasks one at a time per key, in the order they were queued: of a load and an unload of one model, the later one decides. */
export class PerModelQueue {
  readonly #tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}

/** One inference call's request as the HTTP layer hands it over. */
export interface InferCall {
  readonly body: Uint8Array;
  readonly headerLength: string | undefined;
  /** Fires when the client goes away before the answer is written. */
  readonly signal: AbortSignal;
}

export function liveness(): Answer {
  return { status: 200, json: { live: true } };
}

/** `{ ready: true }`, or 503 with an error body while the server shuts down (clients read the status). */
export function readiness(ctx: RouteContext): Answer {
  if (ctx.closing()) throw new HttpError(503, 'DISPOSED', 'the server is not ready: it is shutting down');
  return { status: 200, json: { ready: true } };
}

export function serverMetadata(ctx: RouteContext): Answer {
  return { status: 200, json: ctx.server };
}

function checkServed(ctx: RouteContext, name: string): void {
  if (ctx.unloaded.has(name)) throw new HttpError(503, 'MODEL_NOT_FOUND', `model "${name}" is unloaded; load it with POST /v2/repository/models/${encodeURIComponent(name)}/load`);
}

/**
 * Model metadata: the protocol's `modelMetadata` of the repository's facts of the version
 * (each tensor's declared dimensions, symbolic names included, as the `inproc_dims`
 * parameter). A version whose facts are known is not loaded for it.
 */
export async function modelMetadata(ctx: RouteContext, name: string, version: string | undefined): Promise<Answer> {
  checkServed(ctx, name);
  return { status: 200, json: metadataBody(await ctx.repository.metadata(name, version)) };
}

/**
 * `GET v2/models/{name}[/versions/{version}]/config`: Triton's model configuration
 * extension, the JSON form of the `config.pbtxt` that `inproc export triton` writes for
 * the version (its version policy lists every served version).
 */
export async function modelConfig(ctx: RouteContext, name: string, version: string | undefined): Promise<Answer> {
  checkServed(ctx, name);
  const lease = await ctx.repository.get(name, version === undefined ? {} : { version });
  try {
    return { status: 200, json: tritonConfig(tritonModelOf(name, lease, ctx.repository.versions(name).served)).config };
  } finally {
    lease.release();
  }
}

/**
 * `200 { name, ready: true }` when the version is served, not unloaded and has not failed
 * to load; otherwise, as Triton answers, 400 with an error body saying why (clients such
 * as Triton's `is_model_ready` read the status). The version is checked as inference checks it.
 */
export function modelReady(ctx: RouteContext, name: string, version: string | undefined): Answer {
  const status = ctx.repository.status(name, version);
  const why = ctx.closing()
    ? 'the server is shutting down'
    : ctx.unloaded.has(name)
      ? 'it was unloaded (POST /v2/repository/models/{name}/load loads it again)'
      : status.failure !== undefined
        ? `it failed to load: ${status.failure.message}`
        : undefined;
  if (why !== undefined) throw new HttpError(400, status.failure?.code ?? (ctx.closing() ? 'DISPOSED' : 'MODEL_NOT_FOUND'), `model "${name}" version ${status.version} is not ready: ${why}`);
  return { status: 200, json: { name, ready: true } };
}

/**
 * Triton's `priority` request parameter onto Inproc's scheduler. Triton: 1 is the highest
 * level, a larger number a lower one, 0 (or none) the model's default. Inproc serves the
 * highest number first, and a call without a priority runs at 0. So level `p` runs at
 * Inproc priority `1 - p`: level 1 and the default share the top (as in a Triton model
 * whose `default_priority_level` is 1), level 2 runs after them, 3 after 2, and so on.
 * @throws InprocError `INPUT_INVALID` unless a non-negative integer
 */
export function inprocPriority(priority: unknown): number | undefined {
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 0) {
    throw new InprocError('INPUT_INVALID', `parameter "priority" must be a non-negative integer (1 is the highest level, 0 the default), got ${JSON.stringify(priority)}`);
  }
  return priority === 0 ? undefined : 1 - priority;
}

/** `POST .../infer`: decode, run on a lease of the version, encode. The lease is released when the answer is built. */
export function infer(ctx: RouteContext, name: string, version: string | undefined, call: InferCall): Promise<Answer> {
  try {
    checkServed(ctx, name);
  } catch (error) {
    return Promise.reject(error);
  }
  // A lease for this request only (released when the answer is built, never left behind).
  return ctx.repository.withLease(name, (lease) => inferOn(ctx, lease, name, call), version === undefined ? {} : { version });
}

async function inferOn(ctx: RouteContext, lease: ModelLease, name: string, call: InferCall): Promise<Answer> {
  let outputs: Outputs | undefined;
  try {
    const raw = (): RawInput => {
      const inputs = lease.signature.inputs;
      if (inputs.length !== 1) throw new InprocError('INPUT_INVALID', `a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input; "${name}" has ${inputs.length}`);
      return { name: inputs[0]!.name, dtype: inputs[0]!.dtype, shape: inputs[0]!.shape };
    };
    // JSON tensor data is decoded in slices that give the event loop a turn (health probes, other requests).
    const request = await decodeInferRequestAsync(call.body, call.headerLength, raw);
    const options: { -readonly [K in keyof RunOptions]: RunOptions[K] } = {};
    // Every output of the model, named in any order, is the same run as naming none.
    if (request.outputs !== undefined && !namesAll(request.outputs, lease.signature.outputs)) options.outputs = request.outputs.map((o) => o.name);
    // Triton's schedule policy parameters: priority (1 = highest) and timeout (microseconds).
    const { priority, timeout } = request.parameters;
    if (priority !== undefined) {
      const mapped = inprocPriority(priority);
      if (mapped !== undefined) options.priority = mapped;
    }
    if (timeout !== undefined) {
      if (typeof timeout !== 'number' || !(timeout >= 0)) throw new InprocError('INPUT_INVALID', `parameter "timeout" must be a non-negative number of microseconds, got ${JSON.stringify(timeout)}`);
      options.timeoutMs = timeout / 1000;
    }
    // An idle model with nothing to set runs on Model.run's fast path (no options at all); a
    // call that may wait in the queue carries the signal that cancels it when the client goes away.
    const pending = lease.pending;
    const plain = pending.queued === 0 && pending.running === 0 && options.outputs === undefined && options.priority === undefined && options.timeoutMs === undefined;
    const result = (await lease.run(request.inputs, plain ? undefined : { ...options, signal: call.signal })) as unknown;
    if (typeof result !== 'object' || result === null || !Object.values(result).every(isTensor)) {
      throw new InprocError('RUN_FAILED', `model "${name}" returns ${typeof result === 'object' ? 'values that are not tensors' : typeof result} (its manifest's postprocess?); the v2 protocol carries tensors`);
    }
    outputs = result as Outputs;
    const requested = request.outputs ?? Object.keys(outputs).map((o) => ({ name: o, binary: undefined }));
    const encoded = encodeInferResponse({
      modelName: name,
      modelVersion: String(lease.version),
      id: request.id,
      outputs: requested.map((o) => ({ name: o.name, tensor: outputs![o.name]!, binary: o.binary ?? request.binaryOutput })),
    });
    ctx.lastInference.set(`${name}@${lease.version}`, Date.now());
    // A large answer goes out in its parts (the outputs' bytes as onnxruntime returned them, not copied into one buffer).
    return { status: 200, body: encoded.byteLength < JOIN_BELOW ? encoded.body : encoded.parts, headers: encoded.headers };
  } finally {
    for (const tensor of Object.values(outputs ?? {}) as Tensor[]) tensor.dispose();
  }
}

/** Whether `requested` (no name twice: the decoder refuses that) names each of `outputs`. */
function namesAll(requested: readonly { readonly name: string }[], outputs: readonly { readonly name: string }[]): boolean {
  return requested.length === outputs.length && requested.every((r) => outputs.some((o) => o.name === r.name));
}

const duration = (h: { count: number; sum: number } | undefined): { count: number; ns: number } => ({ count: h?.count ?? 0, ns: Math.round((h?.sum ?? 0) * 1e6) });

/**
 * `GET v2/models[/{name}[/versions/{version}]]/stats`: Triton's statistics extension, from
 * each loaded version's `stats()` (a version not loaded reports zeros, as in Triton).
 * success and fail: the calls and their whole durations (fail has no durations: counts
 * only); queue: wait before the backend run; compute_input, compute_infer,
 * compute_output: the preprocessors, the backend run, the postprocessors. inference_count
 * counts successful requests (not batch elements), execution_count backend runs.
 */
export function modelStatistics(ctx: RouteContext, name: string | undefined, version: string | undefined): Answer {
  const targets: { name: string; version: string | undefined }[] =
    name === undefined ? ctx.repository.list().map((e) => ({ name: e.name, version: e.version })) : version === undefined ? ctx.repository.versions(name).served.map((v) => ({ name, version: String(v) })) : [{ name, version }];
  const model_stats = targets.map((t) => {
    const status = ctx.repository.status(t.name, t.version);
    const stats = status.stats;
    const d = stats?.durationsMs;
    const failed = Object.values(stats?.failures ?? {}).reduce((a, b) => a + (b ?? 0), 0);
    return {
      name: t.name,
      version: status.version,
      last_inference: ctx.lastInference.get(`${t.name}@${status.version}`) ?? 0,
      inference_count: stats?.successes ?? 0,
      execution_count: stats?.batches ?? 0,
      inference_stats: {
        success: { count: stats?.successes ?? 0, ns: duration(d?.total).ns },
        fail: { count: failed, ns: 0 },
        queue: duration(d?.queue),
        compute_input: duration(d?.pre),
        compute_infer: duration(d?.run),
        compute_output: duration(d?.post),
        cache_hit: { count: stats?.cache?.hits ?? 0, ns: 0 },
        cache_miss: { count: stats?.cache?.misses ?? 0, ns: 0 },
      },
      response_stats: {},
      batch_stats: [],
      memory_usage: [],
    };
  });
  return { status: 200, json: { model_stats } };
}

/** `POST v2/repository/index`: every model's served versions with their state; `{ "ready": true }` lists only ready ones. */
export function repositoryIndex(ctx: RouteContext, body: Uint8Array): Answer {
  const request = optionalJsonObject(body, 'the index request');
  const onlyReady = request['ready'];
  if (onlyReady !== undefined && typeof onlyReady !== 'boolean') throw new InprocError('INPUT_INVALID', `"ready" must be a boolean, got ${JSON.stringify(onlyReady)}`);
  const entries: { name: string; version?: string; state: string; reason: string }[] = [];
  const listed = ctx.repository.list();
  for (const name of ctx.repository.models()) {
    const versions = listed.filter((e) => e.name === name);
    if (versions.length === 0) entries.push({ name, state: 'UNAVAILABLE', reason: 'no servable version' });
    for (const e of versions) {
      entries.push(ctx.unloaded.has(name) ? { name, version: e.version, state: 'UNAVAILABLE', reason: 'unloaded' } : { name: e.name, version: e.version, state: e.state, reason: withoutRoot(e.reason, ctx.repository.root) });
    }
  }
  return { status: 200, json: onlyReady === true ? entries.filter((e) => e.state === 'READY') : entries };
}

/**
 * `POST v2/repository/models/{name}/load`: after the loads and unloads of the model asked
 * for before it, rescans the repository, then loads and warms up the model's current
 * version (one that failed to load is tried again). A load request that carries its own `config` or
 * `file:` contents is refused: this server serves its repository's files only.
 */
export async function loadModel(ctx: RouteContext, name: string, body: Uint8Array): Promise<Answer> {
  const request = optionalJsonObject(body, 'the load request');
  const parameters = request['parameters'];
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) throw new InprocError('INPUT_INVALID', '"parameters" must be an object');
  const overrides = Object.keys(parameters ?? {}).filter((k) => k === 'config' || k.startsWith('file:'));
  if (overrides.length > 0) throw new InprocError('INPUT_INVALID', `load parameters ${overrides.map((k) => `"${k}"`).join(', ')} are not supported: inproc serve loads models from its repository only`);
  await ctx.control.run(name, async () => {
    // Files that changed since the last scan are seen first; a recorded failure is forgotten and the load tried again.
    await ctx.repository.refresh();
    await ctx.repository.load(name);
    ctx.unloaded.delete(name);
  });
  return { status: 200, json: {} };
}

/**
 * `POST v2/repository/models/{name}/unload`: after the loads and unloads of the model
 * asked for before it, the model stops being served (not ready,
 * inference answered 503) until it is loaded again. Its memory goes back to the
 * repository's cache, which frees it under its byte budget or idle timeout.
 */
export async function unloadModel(ctx: RouteContext, name: string, body: Uint8Array): Promise<Answer> {
  optionalJsonObject(body, 'the unload request');
  ctx.repository.versions(name); // MODEL_NOT_FOUND / PATH_OUTSIDE_REPOSITORY for a name the repository does not have
  // After any load of the model already asked for: an unload acknowledged is never undone by an earlier load finishing.
  await ctx.control.run(name, async () => {
    ctx.unloaded.add(name);
  });
  return { status: 200, json: {} };
}

function optionalJsonObject(body: Uint8Array, what: string): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  const value = parseJson(new TextDecoder().decode(body), what, 'INPUT_INVALID');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InprocError('INPUT_INVALID', `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export { HEADER_LENGTH };
