/**
 * A model on a v2 server as a `BackendSession`: `run()` posts one inference request
 * (binary tensor extension by default) to a replica and returns the outputs as core
 * tensors. The session holds no model memory of its own (`bytes` is 0).
 * @module
 */
import { InprocError, type ModelFormat, type Signature, type Tensor, bytesPerElement } from '@inproc/core';
import type { BackendRunOptions, BackendSession } from '@inproc/core/backend';
import { datatypeOf } from './protocol/datatypes.js';
import { errorFromResponse } from './http-errors.js';
import type { ModelLocation } from './model-url.js';
import { RESPONSE_CAP, type Settings } from './options.js';
import { HEADER_LENGTH, decodeInferResponse, encodeInferRequest } from './protocol/bodies.js';
import type { ModelMetadata } from './protocol/metadata.js';
import type { Replicas } from './replicas.js';
import { REMOTE_DEVICE } from './descriptor.js';

export class KServeSession implements BackendSession {
  readonly signature: Signature;
  readonly device = REMOTE_DEVICE;
  readonly bytes = 0;
  readonly concurrency: number;
  readonly format?: ModelFormat;
  readonly #replicas: Replicas;
  readonly #location: ModelLocation;
  readonly #settings: Settings;
  readonly #meta: ModelMetadata;

  constructor(init: { signature: Signature; format: ModelFormat | undefined; metadata: ModelMetadata; replicas: Replicas; location: ModelLocation; settings: Settings }) {
    this.signature = init.signature;
    if (init.format !== undefined) this.format = init.format;
    this.#meta = init.metadata;
    this.#replicas = init.replicas;
    this.#location = init.location;
    this.#settings = init.settings;
    this.concurrency = init.settings.concurrency * init.replicas.size;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return {
      model: this.#location.name,
      ...(this.#location.version === undefined ? {} : { version: this.#location.version }),
      platform: this.#meta.platform,
      ...(this.#meta.versions === undefined ? {} : { versions: this.#meta.versions }),
      protocol: this.#settings.binary ? 'binary' : 'json',
      replicas: this.#replicas.states(),
      ...(this.#meta.parameters === undefined ? {} : { parameters: this.#meta.parameters }),
    };
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    const expected = new Map(this.signature.outputs.map((o) => [o.name, o.dtype]));
    const binary = this.#settings.binary;
    const request = encodeInferRequest({
      inputs: feeds,
      // JSON has no half floats: FP16 outputs come back binary also in JSON mode.
      outputs: options.outputs.map((name) => ({ name, binary: binary || expected.get(name) === 'float16' })),
      binary,
    });
    const limit = this.#settings.maxResponseBytes ?? responseLimit(this.signature, feeds, options.outputs, binary);
    return this.#replicas.request(`${this.#location.path}/infer`, { method: 'POST', headers: request.headers, body: request.parts }, options.signal, 'run', limit, (response, url) => {
      if (response.status !== 200) throw errorFromResponse(response, url, 'run');
      const decoded = decodeInferResponse(response.body, response.header(HEADER_LENGTH));
      const outputs: Record<string, Tensor> = {};
      for (const name of options.outputs) {
        const tensor = decoded.outputs[name];
        if (tensor === undefined) throw new InprocError('RUN_FAILED', `${url}: the response has no output "${name}" (it has ${Object.keys(decoded.outputs).join(', ') || 'none'})`);
        const dtype = expected.get(name);
        if (dtype !== undefined && tensor.dtype !== dtype) {
          throw new InprocError('RUN_FAILED', `${url}: output "${name}" came back as ${datatypeOf(tensor.dtype)}, but the model's metadata says ${datatypeOf(dtype)}`);
        }
        outputs[name] = tensor;
      }
      return outputs;
    });
  }

  async dispose(): Promise<void> {
    this.#replicas.stop();
  }
}

/**
 * The default response size limit of one call: each requested output's size when its
 * shape is known — fixed dimensions, and symbolic ones that an input of this call
 * fixes under the same name (`batch`) — twice over, plus 1 MiB for the JSON header
 * (32 bytes an element for JSON data, whose numbers are text); {@link RESPONSE_CAP}
 * when a shape is not known (dynamic, unknown rank, BYTES), and never more than that.
 */
export function responseLimit(signature: Signature, feeds: Readonly<Record<string, Tensor>>, outputs: readonly string[], binary: boolean): number {
  const named = new Map<string, number>();
  for (const info of signature.inputs) {
    const tensor = feeds[info.name];
    if (tensor === undefined || info.unknownRank === true) continue;
    info.shape.forEach((d, i) => {
      if (typeof d === 'string' && tensor.shape[i] !== undefined) named.set(d, tensor.shape[i]);
    });
  }
  let bytes = 0;
  for (const name of outputs) {
    const info = signature.outputs.find((o) => o.name === name);
    if (info === undefined || info.unknownRank === true || info.dtype === 'string') return RESPONSE_CAP;
    let count = 1;
    for (const d of info.shape) {
      const size = typeof d === 'number' ? d : typeof d === 'string' ? named.get(d) : undefined;
      if (size === undefined) return RESPONSE_CAP;
      count *= size;
    }
    bytes += count * (binary || info.dtype === 'float16' ? bytesPerElement(info.dtype) : 32);
  }
  return Math.min(RESPONSE_CAP, 2 * bytes + 1024 * 1024);
}
