/**
 * The conformance suite against the tfjs backend in Node, on its wasm and (plain JS) cpu
 * engines, with the fixtures built as TF.js graph models (@inproc/testkit/tfjs/models)
 * and given as `model.json` bytes plus `backendOptions.weights`.
 */
import { describe, it } from 'vitest';
import { Tensor, hasBackend, loadModel, registerBackend, resources } from 'inproc';
import { tfjsBackend } from '@inproc/tfjs';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { TFJS_DTYPES, tfjsFailing, tfjsFixed, tfjsIdentity, tfjsMlp, tfjsMultiIo, tfjsSlow } from '@inproc/testkit/tfjs/models';
import type { TfjsFixture } from '@inproc/testkit/tfjs/builder';
import { conformanceChecks, type ConformanceContext, type ConformanceFixtures } from './suite.js';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

const built: Record<keyof ConformanceFixtures, TfjsFixture> = {
  mlp: tfjsMlp(256),
  multiIo: tfjsMultiIo(),
  identity: tfjsIdentity(),
  fixed: tfjsFixed(),
  failing: tfjsFailing(),
  slow: tfjsSlow(),
};
const keys = Object.keys(built) as (keyof ConformanceFixtures)[];

for (const device of ['wasm', 'cpu']) {
  describe(`conformance: tfjs (${device})`, () => {
    const ctx: ConformanceContext = {
      loadModel,
      Tensor,
      resources,
      backend: 'tfjs',
      device,
      devices: [device],
      fixtures: Object.fromEntries(keys.map((k) => [k, built[k].json])) as unknown as ConformanceFixtures,
      fixtureOptions: Object.fromEntries(keys.map((k) => [k, { backendOptions: { weights: built[k].weights } }])),
      format: 'tfjs-graph',
      idsDtype: 'int32',
      mlpReference: (x, batch) => mlpReference(x, batch, 256),
      dtypes: TFJS_DTYPES,
    };
    for (const check of conformanceChecks) it(check.name, () => check.run(ctx));
  });
}
