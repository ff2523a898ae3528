/**
 * The `kserve` backend: a model served by any Open Inference Protocol (KServe v2)
 * server — Triton, KServe, OpenVINO Model Server, MLServer, `inproc serve` — as an
 * ordinary Inproc `Model`. It takes the model's URL (it never downloads the model):
 *
 * ```ts
 * const model = await loadModel('http://localhost:8000/v2/models/mlp', { backend: 'kserve' });
 * ```
 *
 * Loading reads the model's metadata (its signature); each `run()` is one inference
 * request. This is the backend's code, imported by its descriptor (`kserveBackend` in
 * `descriptor.ts`) on the first load, so that the JSON codec and the protocol stay out of
 * processes and bundles that never use a model server. Runs on `fetch`: Node (whose fetch keeps connections alive) and browsers.
 * @module
 */
import { InprocError } from '@inproc/core';
import { type BackendLoadOptions, type BackendSession, type ModelSource } from '@inproc/core/backend';
import { errorFromResponse } from './http-errors.js';
import { parseJson } from './json.js';
import { formatOf, signatureOf } from './metadata.js';
import { parseModelUrl, replicaBase } from './model-url.js';
import { checkOptions } from './options.js';
import { Replicas } from './replicas.js';
import { KServeSession } from './session.js';

/** Loads a model (`Backend.load` of `kserveBackend`, in `descriptor.ts`). */
export async function load(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  if (source.url === undefined || source.bytes.byteLength > 0) {
    throw new InprocError('BACKEND_UNAVAILABLE', `the kserve backend runs models on a v2 inference server and takes the model's URL: loadModel('http://host:8000/v2/models/<name>', { backend: 'kserve' }); got ${source.name}`);
  }
  const location = parseModelUrl(source.url);
  const settings = checkOptions(options.backendOptions);
  const bases = [location.base, ...settings.replicas.map(replicaBase)].filter((base, i, all) => all.findIndex((b) => b.href === base.href) === i);
  const replicas = new Replicas(bases, `${location.path}/ready`, settings);
  try {
    const raw = await replicas.request(location.path, { method: 'GET' }, options.signal, 'load', async (response, url) => {
      if (!response.ok) throw await errorFromResponse(response, url, 'load');
      return parseJson(await response.text(), `the metadata of ${url}`, 'MODEL_INVALID');
    });
    const { metadata, signature } = signatureOf(raw, `${location.base.href}${location.path}`);
    replicas.start();
    return new KServeSession({ signature, format: formatOf(metadata.platform), metadata, replicas, location, settings });
  } catch (error) {
    replicas.stop();
    throw error;
  }
}
