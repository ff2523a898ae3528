/**
 * A model on a v2 server as a `BackendSession`: `run()` posts one inference request
 * (binary tensor extension by default) to a replica and returns the outputs as core
 * tensors. The session holds no model memory of its own (`bytes` is 0).
 * @module
 */
import { InprocError, type ModelFormat, type Signature, type Tensor } from '@inproc/core';
import { type BackendRunOptions, type BackendSession } from '@inproc/core/backend';
import { datatypeOf } from './datatype.js';
import { errorFromResponse } from './http-errors.js';
import type { ModelLocation } from './model-url.js';
import type { Settings } from './options.js';
import { HEADER_LENGTH, type ModelMetadata, decodeInferResponse, encodeInferRequest } from './protocol.js';
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
    return this.#replicas.request(`${this.#location.path}/infer`, { method: 'POST', headers: request.headers, body: request.body }, options.signal, 'run', async (response, url) => {
      if (!response.ok) throw await errorFromResponse(response, url, 'run');
      const body = new Uint8Array(await response.arrayBuffer());
      const decoded = decodeInferResponse(body, response.headers.get(HEADER_LENGTH));
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
