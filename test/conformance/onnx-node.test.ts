import { describe, it } from 'vitest';
import { DTYPES, Tensor, loadModel, resources } from 'inproc';
import { mlpReference } from '@inproc/testkit/onnx/models';
import { onnxFixtures } from './fixtures.js';
import { conformanceChecks, type ConformanceContext } from './suite.js';

const fixtures = onnxFixtures();

for (const device of ['cpu', 'auto']) {
  describe(`conformance: onnx-node (${device})`, () => {
    const ctx: ConformanceContext = {
      loadModel,
      Tensor,
      resources,
      backend: 'onnx-node',
      device,
      devices: ['cpu', 'cuda', 'dml', 'coreml'],
      fixtures,
      mlpReference: (x, batch) => mlpReference(x, batch, 256),
      dtypes: DTYPES,
    };
    for (const check of conformanceChecks) it(check.name, () => check.run(ctx));
  });
}
