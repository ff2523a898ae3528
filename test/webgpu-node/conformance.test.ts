import { describe, it } from 'vitest';
import { DTYPES, Tensor, loadModel, resources } from 'inproc';
import { mlpReference, slowModel } from '@inproc/testkit/onnx/models';
import { onnxFixtures } from '../conformance/fixtures.js';
import { conformanceChecks, type ConformanceContext } from '../conformance/suite.js';
import { useSwiftShader } from './swiftshader.js';

const enabled = useSwiftShader();

describe.runIf(enabled)('conformance: onnx-node (webgpu on SwiftShader)', () => {
  const ctx: ConformanceContext = {
    loadModel,
    Tensor,
    resources,
    backend: 'onnx-node',
    device: 'webgpu',
    devices: ['webgpu'],
    // SwiftShader runs ~200x slower than the CPU provider: the "slow" model stays small.
    fixtures: { ...onnxFixtures(), slow: slowModel({ depth: 4, rows: 16 }) },
    mlpReference: (x, batch) => mlpReference(x, batch, 256),
    dtypes: DTYPES,
  };
  for (const check of conformanceChecks) it(check.name, () => check.run(ctx));
});
