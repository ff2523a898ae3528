/**
 * The page of the tfjs browser test: registers the tfjs backend, loads a real TF.js
 * graph model from the test server by URL (its shard fetched beside it), runs it on a
 * device, and reports outputs, latencies and what is left in TF.js and resources().
 * The WASM binaries come from the test server (`backendOptions.wasmPaths`), never a CDN.
 */
import { InprocError, Tensor, hasBackend, loadModel, registerBackend, resources } from '@inproc/core';
import { tfjsBackend, tfjsEngineState } from '@inproc/tfjs';
import * as tf from '@tensorflow/tfjs';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

const WASM_PATHS = '/tfjs-wasm/';

exposeToHarness({
  /** Loads `/models/<name>.json`, runs it `runs` times on `input`, disposes it. */
  run: async (name: string, device: string, input: number[], shape: number[], runs: number) => {
    const tensorsBefore = tf.memory().numTensors;
    const progress: number[] = [];
    try {
      const model = await loadModel(new URL(`/models/${name}.json`, location.href), {
        device,
        backendOptions: { wasmPaths: WASM_PATHS },
        onProgress: (p) => progress.push(p.loaded),
      });
      const latencies: number[] = [];
      let output: number[] = [];
      let outputShape: readonly number[] = [];
      try {
        const x = new Tensor('float32', Float32Array.from(input), shape);
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          const out = await model.run(x);
          latencies.push(performance.now() - start);
          const first = out[model.signature.outputs[0]!.name]!;
          output = Array.from(first.data as Float32Array);
          outputShape = first.shape;
        }
        return {
          device: model.device,
          engine: model.metadata['engine'],
          tfBackend: tf.getBackend(),
          signature: model.signature,
          output,
          outputShape,
          latencies,
          progress,
          duringRun: tfjsEngineState().holders.length,
        };
      } finally {
        await model.dispose();
      }
    } catch (error) {
      return { error: InprocError.is(error) ? `${error.code}: ${error.message}` : String(error) };
    } finally {
      // Reported after dispose: both must be back where they were.
      (globalThis as { __after?: unknown }).__after = { tensors: tf.memory().numTensors - tensorsBefore, resources: resources() };
    }
  },
  after: () => (globalThis as { __after?: unknown }).__after,
});
