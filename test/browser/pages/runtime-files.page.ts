/**
 * The page of runtime-files.test.ts: loads a model where onnxruntime-web's files or the
 * isolation worker's script are missing or served wrong, and returns the error a
 * developer would read. Each case runs in a fresh page (onnxruntime-web starts once).
 */
import { InprocError, configureIsolation, configureOnnxWeb, loadModel, resources } from 'inproc';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

async function outcome(load: () => Promise<{ dispose(): Promise<void>; device: string }>): Promise<{ ok: boolean; code?: string; message?: string; device?: string; resources: object }> {
  try {
    const model = await load();
    const device = model.device;
    await model.dispose();
    return { ok: true, device, resources: resources() };
  } catch (error) {
    return InprocError.is(error) ? { ok: false, code: error.code, message: error.message, resources: resources() } : { ok: false, message: String(error), resources: resources() };
  }
}

const model = async (): Promise<Uint8Array> => new Uint8Array(await (await fetch('/fixtures/mlp.onnx')).arrayBuffer());

exposeToHarness({
  /** Loads the MLP with onnxruntime-web told to find its files under `wasmPaths`. */
  async withWasmPaths(wasmPaths: string | undefined, device: string) {
    if (wasmPaths !== undefined) configureOnnxWeb({ wasmPaths });
    const bytes = await model();
    return outcome(() => loadModel(bytes, { device }));
  },
  /** Loads the MLP in an isolation worker whose script is at `url`. */
  async withWorkerAt(url: string) {
    configureIsolation({ createWorker: () => new Worker(new URL(url, location.href), { type: 'module' }) });
    const bytes = await model();
    return outcome(() => loadModel(bytes, { isolation: 'worker', device: 'wasm' }));
  },
});
