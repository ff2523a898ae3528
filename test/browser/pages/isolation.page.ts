/**
 * The page the browser isolation test drives: models loaded with `isolation: 'worker'`
 * run in Web Workers started from the app's own worker file, which a bundler sees
 * through `new Worker(new URL(...), { type: 'module' })`.
 */
import { Tensor, configureIsolation, loadModel, resources } from 'inproc';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

configureIsolation({ createWorker: () => new Worker(new URL('./isolation.worker.ts', import.meta.url), { type: 'module' }) });

async function bytes(url: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

exposeToHarness({
  async mlp(input: number[], batch: number, workers: number) {
    const before = resources();
    const model = await loadModel(await bytes('/fixtures/mlp.onnx'), { isolation: 'worker', workers, device: 'wasm' });
    const during = resources();
    const outputs = await Promise.all([0, 1, 2, 3].map(() => model.run({ x: new Tensor('float32', Float32Array.from(input), [batch, 256]) })));
    const metadata = model.metadata;
    await model.dispose();
    return { backend: model.backend, device: model.device, metadata, before, during, after: resources(), outputs: outputs.map((o) => [...(o['y']!.data as Float32Array)]) };
  },
  async responsive() {
    // While a slow model runs in a worker, the page keeps answering timers.
    const model = await loadModel(await bytes('/fixtures/slow.onnx'), { isolation: 'worker', device: 'wasm' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const start = performance.now();
    await model.run(new Tensor('float32', new Float32Array(512), [1, 512]));
    const runMs = performance.now() - start;
    clearInterval(timer);
    await model.dispose();
    return { ticks, runMs, after: resources() };
  },
  async badModel() {
    try {
      await loadModel(new TextEncoder().encode('not a model'), { isolation: 'worker', format: 'onnx', device: 'wasm' });
      return 'resolved';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  },
});
