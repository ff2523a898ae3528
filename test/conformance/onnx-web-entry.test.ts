/**
 * `inproc`'s Node entry in an Electron renderer loaded without a bundler
 * (nodeIntegration: Node's resolver picks the `node` condition, but a `window` exists):
 * it must behave as a browser: onnx-web registered, onnx-node not. Runs in its
 * own vitest process (pool: forks), so the backend registry starts empty.
 */
import { expect, it } from 'vitest';

it('registers onnx-web and not onnx-node when a window exists (Electron renderer with nodeIntegration)', async () => {
  (globalThis as { window?: unknown }).window = globalThis;
  try {
    const inproc = await import('inproc');
    const names = inproc.listBackends().map((b) => b.name);
    expect(names).toContain('onnx-web');
    expect(names).not.toContain('onnx-node');
  } finally {
    delete (globalThis as { window?: unknown }).window;
  }
});
