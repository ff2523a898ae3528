/**
 * WebGPU in Node without a GPU: Dawn (inside onnxruntime-node) on the SwiftShader Vulkan
 * driver that Debian's chromium package ships. Tests of this folder point the Vulkan
 * loader at it, and are skipped, with the reason printed, where it or the loader is absent.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];

/** Why the WebGPU tests cannot run here, or `undefined`. */
export function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'WebGPU-in-Node tests use the SwiftShader Vulkan driver, which is set up on Linux only';
  if (!existsSync(SWIFTSHADER_ICD)) return `${SWIFTSHADER_ICD} is absent (apt-get install chromium)`;
  if (!LOADER_DIRS.some((d) => existsSync(`${d}/libvulkan.so.1`))) return 'the Vulkan loader libvulkan.so.1 is absent (apt-get install libvulkan1)';
  return undefined;
}

/** Points this process's Vulkan loader at SwiftShader (read when Dawn creates its instance) and says whether the tests run. */
export function useSwiftShader(): boolean {
  const reason = skipReason();
  if (reason !== undefined) {
    console.warn(`skipping WebGPU (onnx-node) tests: ${reason}`);
    return false;
  }
  process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
  return true;
}

/** Result of a child process. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `children/<name>.ts` in a fresh Node process on SwiftShader (crashes of the native
 * code end that process, not the test runner) and returns how it ended.
 */
export function runChild(name: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  const script = fileURLToPath(new URL(`./children/${name}.ts`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, VK_DRIVER_FILES: SWIFTSHADER_ICD, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
