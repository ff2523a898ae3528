/**
 * The machine and the software versions a benchmark ran on, recorded with every result
 * file: numbers without them cannot be compared or reproduced.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

// Read from the folders directly: some packages' `exports` maps hide their package.json.
const NODE_MODULES = [fileURLToPath(new URL('../node_modules/', import.meta.url)), fileURLToPath(new URL('../../node_modules/', import.meta.url))];

export interface Environment {
  readonly date: string;
  readonly cpu: string;
  /** Logical CPUs this process may use. */
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Git commit of the repository (`+dirty` with uncommitted changes), when known. */
  readonly commit?: string;
  /** Versions of the packages that do the work. */
  readonly versions: Readonly<Record<string, string>>;
}

const PACKAGES = ['inproc', 'onnxruntime-node', 'onnxruntime-web', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'tinybench', 'playwright-core'];

function packageVersion(name: string): string | undefined {
  for (const dir of NODE_MODULES) {
    try {
      return (JSON.parse(readFileSync(`${dir}${name}/package.json`, 'utf8')) as { version?: string }).version;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function gitCommit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return undefined;
  }
}

export function environment(): Environment {
  const versions: Record<string, string> = {};
  for (const name of PACKAGES) {
    const v = packageVersion(name);
    if (v !== undefined) versions[name] = v;
  }
  const commit = gitCommit();
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${process.arch}`,
    node: process.version,
    ...(commit === undefined ? {} : { commit }),
    versions,
  };
}

/**
 * The short machine record the single-suite scripts print with their results. `cpus` is
 * what this process may use (os.availableParallelism(): Node 20 has no navigator.hardwareConcurrency).
 */
export function machine(): { readonly node: string; readonly platform: string; readonly cpus: number } {
  return { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: os.availableParallelism() };
}

/** One Markdown line describing the environment. */
export function environmentLine(env: Environment): string {
  const v = Object.entries(env.versions)
    .map(([k, value]) => `${k} ${value}`)
    .join(', ');
  return `${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ${env.os}, Node ${env.node}${env.commit === undefined ? '' : `, commit ${env.commit}`}; ${v}`;
}
