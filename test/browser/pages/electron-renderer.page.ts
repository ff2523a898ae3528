/**
 * Page for the Electron example's renderer code (examples/electron/src/renderer/demo.ts),
 * run in Chromium with an Electron-like `process` global. The test plays the main
 * process: `window.inprocMainVad` is a Playwright binding that runs onnx-node in Node,
 * like the example's preload + IPC.
 */
import { listBackends } from 'inproc';
import type { MainProcessApi } from '../../../examples/electron/src/shared/api.js';
import { runRendererDemo, testSignal } from '../../../examples/electron/src/renderer/demo.js';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

exposeToHarness({
  demo: async () => {
    const binding = (globalThis as unknown as { inprocMainVad?: (samples: number[]) => Promise<number[]> }).inprocMainVad;
    const main: MainProcessApi | undefined = binding === undefined ? undefined : { vadProbabilities: (samples) => binding(Array.from(samples)) };
    const result = await runRendererDemo('/models/silero_vad_v5.onnx', testSignal(2), main);
    return { ...result, backends: listBackends().map((b) => b.name), processType: (globalThis as { process?: { type?: string } }).process?.type ?? null };
  },
});
