/**
 * The page of the `backends` suite in headless Chromium (built by Vite with the browser
 * conditions, so `inproc` registers onnx-web; the tfjs backend is registered here). Each
 * case gets a fresh page: it loads the model by URL from the local server, as a web app
 * would, and measures it with the same code as the Node cases (run-case.ts).
 */
import { hasBackend, loadModel, registerBackend } from 'inproc';
import { tfjsBackend } from '@inproc/tfjs';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';
import type { SamplingPlan } from '../lib/measure.js';
import { modelSpec } from './models.js';
import { runCase, type CaseOutcome } from './run-case.js';

if (!hasBackend(tfjsBackend.name)) registerBackend(tfjsBackend);

/** Chromium's non-standard heap figure (precise with --enable-precise-memory-info). */
function jsHeap(): number | undefined {
  return (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
}

exposeToHarness({
  runCase: async (modelId: string, backend: string, device: string, plan: SamplingPlan): Promise<CaseOutcome> => {
    const spec = modelSpec(modelId);
    const url = new URL(`/models/${modelId}/${spec.format === 'onnx' ? 'model.onnx' : 'model.json'}`, location.href);
    return runCase({
      spec,
      plan,
      load: () => loadModel(url, { backend, device, ...(backend === 'tfjs' ? { backendOptions: { wasmPaths: '/tfjs-wasm/' } } : {}) }),
      memory: () => {
        const heap = jsHeap();
        return heap === undefined ? {} : { jsHeap: heap };
      },
    });
  },
  /** What WebGPU adapter this browser offers (SwiftShader is a CPU emulation), or null. */
  gpuAdapter: async (): Promise<string | null> => {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
    const adapter = await gpu?.requestAdapter();
    if (adapter === undefined || adapter === null) return null;
    const info = adapter.info ?? {};
    return [info['vendor'], info['architecture'], info['description']].filter((v) => v !== undefined && v !== '').join(' / ') || 'unknown adapter';
  },
});
