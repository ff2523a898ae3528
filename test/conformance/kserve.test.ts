/**
 * The conformance suite against the kserve backend: each fixture is published into a
 * repository served by `inproc serve` (a subprocess, so that `resources()` here counts
 * the client only), loaded through Triton's repository extension, and used by URL with
 * `backend: 'kserve'`. A fixture that is not a model (the suite's corrupt bytes) is
 * published under a manifest naming `model.bin`, so that the server sniffs its format
 * from the bytes alone, as a load from bytes does (the suite's `format` option goes into
 * the manifest); its error code comes back from the server.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DTYPES, Tensor, loadModel, resources, type LoadOptions, type Model } from 'inproc';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { serveProcess, tempRepository, writeRepository, type ServeProcess } from '../kserve/helpers.js';
import { onnxFixtures } from './fixtures.js';
import { conformanceChecks, type ConformanceContext } from './suite.js';

let root: string;
let server: ServeProcess;

beforeAll(async () => {
  root = await tempRepository();
  // The suite publishes models as it goes and has the server load them (the repository extension's load, on with explicit model control).
  server = await serveProcess(root, ['--model-control', 'explicit']);
});

afterAll(async () => {
  await server?.stop();
});

const published = new Set<string>();

/** Publishes the bytes as a model named after their hash (once) and loads it by URL. */
async function loadRemote(source: unknown, options: LoadOptions = {}): Promise<Model> {
  if (!(source instanceof Uint8Array)) throw new Error('the conformance suite loads from bytes');
  const { format, ...rest } = options;
  const name = `m${createHash('sha256').update(source).update(format ?? '').digest('hex').slice(0, 16)}`;
  if (!published.has(name)) {
    // The manifest carries the format when the suite gives one, as loadModel's options.format would.
    await writeRepository(root, { [name]: { bytes: source, file: 'model.bin', manifest: { model: 'model.bin', ...(format === undefined ? {} : { format }) } } });
    // Rescans and loads; a model that cannot load answers its error, which the metadata request below returns too.
    await fetch(`${server.url}/v2/repository/models/${name}/load`, { method: 'POST' }).then((r) => r.arrayBuffer());
    published.add(name);
  }
  return loadModel(`${server.url}/v2/models/${name}`, { ...rest, backend: 'kserve' });
}

for (const protocol of ['binary', 'json'] as const) {
  describe(`conformance: kserve (${protocol}) against inproc serve`, () => {
    const ctx: ConformanceContext = {
      loadModel: loadRemote as typeof loadModel,
      Tensor,
      resources,
      backend: 'kserve',
      device: 'remote',
      devices: ['remote'],
      fixtures: onnxFixtures(),
      mlpReference: (x, batch) => mlpReference(x, batch, 256),
      dtypes: DTYPES,
      loadOptions: { backendOptions: { protocol } },
      holdsBytes: false,
    };
    for (const check of conformanceChecks) it(check.name, () => check.run(ctx));
  });
}
