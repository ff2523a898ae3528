/**
 * WebGPU sessions on several threads of one process. onnxruntime's WebGPU device is one
 * per process; before Inproc serialized it, one model with two workers aborted the process
 * and two worker models segfaulted it. Each scenario runs in a child process that must
 * exit normally with every check held.
 */
import { describe, expect, it } from 'vitest';
import { runChild, useSwiftShader } from './swiftshader.js';

const enabled = useSwiftShader();

function findings(stdout: string): { completed: number; aborted: number; refusedAfterDispose: number; problems: string[] } {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ReturnType<typeof findings>;
}

describe.runIf(enabled)('WebGPU on onnx-node: threads take turns on the device', () => {
  for (const scenario of ['workers-only', 'threads-only', 'mixed']) {
    it(`${scenario}: concurrent callers, aborts and a dispose in the middle; the process exits normally`, async () => {
      const result = await runChild('concurrency', [scenario]);
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, result.stderr + result.stdout).toBe(0);
      const found = findings(result.stdout);
      expect(found.problems).toEqual([]);
      expect(found.completed).toBeGreaterThan(60);
      expect(found.aborted + found.refusedAfterDispose + found.completed).toBe(120);
    });
  }

  it('refuses WebGPU, with DEVICE_UNAVAILABLE, in a worker started before the main thread imported inproc', async () => {
    const result = await runChild('refused-worker');
    expect(result.code, result.stderr).toBe(0);
    const found = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { webgpu: { code: string; message: string }; cpu: string };
    expect(found.webgpu.code).toBe('DEVICE_UNAVAILABLE');
    expect(found.webgpu.message).toMatch(/Import it in the main thread before starting the worker/);
    expect(found.cpu).toBe('cpu');
  });
});
