/**
 * The process-wide WebGPU lock (onnx-node's gpu-lock.ts) records its holder's thread and
 * is freed when that thread exits holding it: terminated, exited, or an isolation worker
 * ended with its model. Before, every later WebGPU call of the process waited for ever.
 * Each scenario runs in a child process on SwiftShader (children/dead-holder.ts).
 */
import { describe, expect, it } from 'vitest';
import { runChild, useSwiftShader } from './swiftshader.js';

const enabled = useSwiftShader();

describe.runIf(enabled)('WebGPU lock: a thread that dies holding it does not wedge the process', () => {
  for (const mode of ['terminate', 'exit', 'pool']) {
    it(`${mode}: the lock is freed when its holder's thread ends, and a later WebGPU run completes`, async () => {
      const result = await runChild('dead-holder', [mode]);
      expect(result.signal, result.stderr).toBeNull();
      const found = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { hung: boolean; holderTag: number; heldBy: number; afterExit: number; device?: string; outputs?: number; lockAtEnd?: number };
      expect(result.code, result.stderr + result.stdout).toBe(0);
      // The dead thread really held it (its thread id + 1 in the word) ...
      expect(found.heldBy).toBe(found.holderTag);
      // ... and its exit freed it.
      expect(found.afterExit).toBe(0);
      expect(found).toMatchObject({ hung: false, device: 'webgpu', outputs: 64, lockAtEnd: 0 });
    });
  }
});
