/** The conformance fixtures built from the ONNX builder (Node side). */
import { failingModel, fixedShapeModel, identityModel, mlpModel, multiIoModel, slowModel } from '@inproc/testkit/onnx/models';
import type { ConformanceFixtures } from './suite.js';

export function onnxFixtures(): ConformanceFixtures {
  return {
    mlp: mlpModel(256),
    multiIo: multiIoModel(),
    identity: identityModel(),
    fixed: fixedShapeModel(),
    failing: failingModel(),
    slow: slowModel({ depth: 20 }),
  };
}
