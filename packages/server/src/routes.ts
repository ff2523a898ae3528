/**
 * The endpoints of the Open Inference Protocol REST API over an Inproc `Repository`:
 * health, server and model metadata, model readiness, inference (JSON and binary
 * tensor data), and Triton's model repository extension (index, load, unload). Each
 * handler returns an answer; the server writes it. Names are passed to the repository,
 * which refuses those that resolve outside its root; nothing here touches files.
 * @module
 */
import { InprocError, type Outputs, type Repository, type RunOptions, type Tensor, isTensor } from '@inproc/core';
import { DIMS_PARAMETER, HEADER_LENGTH, type RawInput, type ServerMetadata, decodeInferRequest, encodeInferResponse, parseJson } from '@inproc/kserve';
import { HttpError } from './http-errors.js';

/** What a handler answers: JSON, or an encoded body with its headers. */
export type Answer = { readonly status: number; readonly json: unknown } | { readonly status: number; readonly body: Uint8Array; readonly headers: Readonly<Record<string, string>> };

/** What the handlers need from the server. */
export interface RouteContext {
  readonly repository: Repository;
  readonly server: ServerMetadata;
  /** Models unloaded through the repository extension: not ready, not served, until loaded again. */
  readonly unloaded: Set<string>;
  readonly closing: () => boolean;
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

export function readiness(ctx: RouteContext): Answer {
  const ready = !ctx.closing();
  return { status: ready ? 200 : 503, json: { ready } };
}

export function serverMetadata(ctx: RouteContext): Answer {
  return { status: 200, json: ctx.server };
}

function checkServed(ctx: RouteContext, name: string): void {
  if (ctx.unloaded.has(name)) throw new HttpError(503, 'MODEL_NOT_FOUND', `model "${name}" is unloaded; load it with POST /v2/repository/models/${encodeURIComponent(name)}/load`);
}

/** Model metadata, with each tensor's declared dimensions (symbolic names included) as the `inproc_dims` parameter. */
export async function modelMetadata(ctx: RouteContext, name: string, version: string | undefined): Promise<Answer> {
  checkServed(ctx, name);
  const lease = await ctx.repository.get(name, version === undefined ? {} : { version });
  try {
    const metadata = await ctx.repository.metadata(name, lease.version);
    const withDims = (list: typeof metadata.inputs, infos: typeof lease.signature.inputs): unknown[] =>
      list.map((tensor) => {
        const info = infos.find((i) => i.name === tensor.name);
        const named = info !== undefined && info.unknownRank !== true && info.shape.some((d) => typeof d === 'string');
        return named ? { ...tensor, parameters: { [DIMS_PARAMETER]: JSON.stringify(info.shape) } } : tensor;
      });
    return { status: 200, json: { ...metadata, inputs: withDims(metadata.inputs, lease.signature.inputs), outputs: withDims(metadata.outputs, lease.signature.outputs) } };
  } finally {
    lease.release();
  }
}

/** `{ name, ready }`: ready when the version is served, not unloaded, and has not failed to load. */
export function modelReady(ctx: RouteContext, name: string, version: string | undefined): Answer {
  const versions = ctx.repository.versions(name);
  const target = version === undefined ? versions.current : Number(version);
  if (version !== undefined && !(Number.isSafeInteger(target) && versions.served.includes(target!))) {
    throw new InprocError('VERSION_NOT_FOUND', `model "${name}" has no served version ${JSON.stringify(version)}; served: ${versions.served.join(', ') || 'none'}`);
  }
  const entry = ctx.repository.list().find((e) => e.name === name && e.version === String(target));
  const ready = !ctx.closing() && !ctx.unloaded.has(name) && entry !== undefined && !entry.reason.startsWith('load failed');
  return { status: 200, json: { name, ready } };
}

/** `POST .../infer`: decode, run on a lease of the version, encode. The lease is released when the answer is built. */
export async function infer(ctx: RouteContext, name: string, version: string | undefined, call: InferCall): Promise<Answer> {
  checkServed(ctx, name);
  const lease = await ctx.repository.get(name, version === undefined ? {} : { version });
  let outputs: Outputs | undefined;
  try {
    const raw = (): RawInput => {
      const inputs = lease.signature.inputs;
      if (inputs.length !== 1) throw new InprocError('INPUT_INVALID', `a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input; "${name}" has ${inputs.length}`);
      return { name: inputs[0]!.name, dtype: inputs[0]!.dtype, shape: inputs[0]!.shape };
    };
    const request = decodeInferRequest(call.body, call.headerLength, raw);
    const options: { -readonly [K in keyof RunOptions]: RunOptions[K] } = { signal: call.signal };
    if (request.outputs !== undefined) options.outputs = request.outputs.map((o) => o.name);
    // Triton's request parameters: priority (higher first) and timeout (microseconds).
    const { priority, timeout } = request.parameters;
    if (priority !== undefined) {
      if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new InprocError('INPUT_INVALID', `parameter "priority" must be a number, got ${JSON.stringify(priority)}`);
      options.priority = priority;
    }
    if (timeout !== undefined) {
      if (typeof timeout !== 'number' || !(timeout >= 0)) throw new InprocError('INPUT_INVALID', `parameter "timeout" must be a non-negative number of microseconds, got ${JSON.stringify(timeout)}`);
      options.timeoutMs = timeout / 1000;
    }
    const result = (await lease.run(request.inputs, options)) as unknown;
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
    return { status: 200, body: encoded.body, headers: encoded.headers };
  } finally {
    lease.release();
    for (const tensor of Object.values(outputs ?? {}) as Tensor[]) tensor.dispose();
  }
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
      entries.push(ctx.unloaded.has(name) ? { name, version: e.version, state: 'UNAVAILABLE', reason: 'unloaded' } : { name: e.name, version: e.version, state: e.state, reason: e.reason });
    }
  }
  return { status: 200, json: onlyReady === true ? entries.filter((e) => e.state === 'READY') : entries };
}

/**
 * `POST v2/repository/models/{name}/load`: rescans the repository, then loads and warms up
 * the model's current version. A load request that carries its own `config` or
 * `file:` contents is refused: this server serves its repository's files only.
 */
export async function loadModel(ctx: RouteContext, name: string, body: Uint8Array): Promise<Answer> {
  const request = optionalJsonObject(body, 'the load request');
  const parameters = request['parameters'];
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) throw new InprocError('INPUT_INVALID', '"parameters" must be an object');
  const overrides = Object.keys(parameters ?? {}).filter((k) => k === 'config' || k.startsWith('file:'));
  if (overrides.length > 0) throw new InprocError('INPUT_INVALID', `load parameters ${overrides.map((k) => `"${k}"`).join(', ')} are not supported: inproc serve loads models from its repository only`);
  await ctx.repository.refresh();
  const lease = await ctx.repository.get(name);
  lease.release();
  ctx.unloaded.delete(name);
  return { status: 200, json: {} };
}

/**
 * `POST v2/repository/models/{name}/unload`: the model stops being served (not ready,
 * inference answered 503) until it is loaded again. Its memory goes back to the
 * repository's cache, which frees it under its byte budget or idle timeout.
 */
export function unloadModel(ctx: RouteContext, name: string, body: Uint8Array): Answer {
  optionalJsonObject(body, 'the unload request');
  ctx.repository.versions(name); // MODEL_NOT_FOUND / PATH_OUTSIDE_REPOSITORY for a name the repository does not have
  ctx.unloaded.add(name);
  return { status: 200, json: {} };
}

function optionalJsonObject(body: Uint8Array, what: string): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  const value = parseJson(new TextDecoder().decode(body), what, 'INPUT_INVALID');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InprocError('INPUT_INVALID', `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export { HEADER_LENGTH };
