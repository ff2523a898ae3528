/**
 * Which GPU adapter onnxruntime's WebGPU execution provider runs on, and why none can be
 * found. onnxruntime-node does not report its adapter, so it is learned the way Dawn
 * (the WebGPU implementation linked into onnxruntime) would choose it:
 *
 * 1. With the optional `webgpu` package (Dawn for Node) installed: ask Dawn itself for the
 *    adapter onnxruntime requests (same backend, `powerPreference: 'high-performance'`),
 *    which gives vendor, architecture, description and Dawn's `isFallbackAdapter`.
 * 2. Otherwise, on Linux: read the Vulkan driver manifests (ICD JSON files) that the Vulkan
 *    loader would read, and name the driver library; software drivers (SwiftShader,
 *    lavapipe/llvmpipe) are recognised by name.
 *
 * The probe runs once per process, the first time a WebGPU device is considered, and
 * quietly: Dawn and the Vulkan loader write their warnings (`Found no drivers!`,
 * `shaderUniform*ArrayDynamicIndexing required` for each driver Dawn refuses, ...) straight
 * to file descriptor 2, where JavaScript cannot catch them, so Dawn is asked in a child
 * process whose stderr is kept: `probe.log`, `model.metadata.adapterLog`, and on stderr only
 * with `INPROC_DEBUG` set (`INPROC_DEBUG=1` or a list naming `webgpu`).
 * @module
 */
import type * as Fs from 'node:fs';
import type * as Os from 'node:os';
import type * as ChildProcess from 'node:child_process';
import type * as Path from 'node:path';
import { isSoftwareAdapter, nodeModule } from '@inproc/core/backend';

const fs = nodeModule<typeof Fs>('node:fs');
// Through nodeModule, not an ESM import: this module is loaded by `import 'inproc'`, and an ESM
// import of a built-in builds its namespace there (see core's node-builtin.ts).
const path = nodeModule<typeof Path>('node:path');

/** The adapter a WebGPU session runs on, as `model.metadata.adapter` reports it. */
export interface WebGpuAdapterInfo {
  /** e.g. `nvidia`, `google` (SwiftShader), `amd`, `intel`, `apple`; `''` when unknown. */
  readonly vendor: string;
  /** e.g. `hopper`, `swiftshader`; `''` when unknown. */
  readonly architecture: string;
  /** A human-readable name: Dawn's adapter description, or the Vulkan driver library. */
  readonly description: string;
  /** The native API Dawn runs on: `vulkan` (Linux), `d3d12` (Windows), `metal` (macOS). */
  readonly backend: 'vulkan' | 'd3d12' | 'metal';
  /** A CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP): slower than the CPU provider. */
  readonly software: boolean;
  /** How it was learned: `dawn` (the `webgpu` package asked Dawn), or `vulkan-icd` (the Vulkan driver manifests). */
  readonly source: 'dawn' | 'vulkan-icd';
}

/**
 * Outcome of the probe: the adapter, or why there is none (with the fix); `log`: what Dawn
 * and the Vulkan loader printed while asked (kept off stderr, see the module comment).
 */
export type AdapterProbe = (
  | { readonly adapter: WebGpuAdapterInfo; readonly problem?: undefined }
  /** `undetermined`: the probe could not tell (no way to ask here, or asking failed), so onnxruntime may still find one. */
  | { readonly adapter?: undefined; readonly problem: string; readonly undetermined?: boolean }
) & { readonly log?: readonly string[] };

/** Whether `INPROC_DEBUG` asks for native diagnostics of `topic` (`1`, `true`, `*`, `all`, or a comma list naming it). */
export function debugEnabled(topic: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['INPROC_DEBUG']?.trim().toLowerCase();
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  return ['1', 'true', '*', 'all'].includes(value) || value.split(',').some((t) => t.trim() === topic);
}

/** The Dawn backend onnxruntime's WebGPU provider asks for on this platform. */
export function dawnBackend(platform: NodeJS.Platform = process.platform): WebGpuAdapterInfo['backend'] {
  return platform === 'win32' ? 'd3d12' : platform === 'darwin' ? 'metal' : 'vulkan';
}

let probed: Promise<AdapterProbe> | undefined;

/** The adapter WebGPU sessions run on here; probed once per process. */
export function probeAdapter(): Promise<AdapterProbe> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<AdapterProbe> {
  const fromDawn = await probeWithDawn();
  if (fromDawn !== undefined) return fromDawn;
  if (process.platform === 'linux') return vulkanAdapter();
  if (process.platform === 'darwin') {
    // Dawn has no software Metal adapter: a Mac's adapter is its GPU.
    return { adapter: { vendor: 'apple', architecture: '', description: 'Metal GPU', backend: 'metal', software: false, source: 'dawn' } };
  }
  return { problem: 'the adapter cannot be identified on this platform without the webgpu package (Dawn for Node): npm install webgpu', undetermined: true };
}

interface DawnAdapter {
  readonly info: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string; readonly isFallbackAdapter?: boolean };
}

/** What the probe's child process prints on stdout: one JSON line. */
type ChildAnswer = { readonly info: DawnAdapter['info'] } | { readonly info: null } | { readonly error: string };

/**
 * The child's program: asks Dawn (the `webgpu` package at argv[1]) for the adapter onnxruntime
 * requests and prints it as JSON. It exits at once: Dawn's instance may hold the loop open.
 */
const CHILD_PROBE = `
const [url, backend] = process.argv.slice(1);
let answer;
try {
  const dawn = await import(url);
  const adapter = await dawn.create(['backend=' + backend]).requestAdapter({ powerPreference: 'high-performance' });
  const i = adapter?.info;
  answer = i == null ? { info: null } : { info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } };
} catch (error) {
  answer = { error: String(error?.message ?? error) };
}
process.stdout.write(JSON.stringify(answer) + '\\n', () => process.exit(0));
`;

/** The child gets this long; Dawn answers in well under a second even on SwiftShader. */
const CHILD_PROBE_TIMEOUT_MS = 30_000;

async function probeWithDawn(): Promise<AdapterProbe | undefined> {
  let url: string;
  try {
    const specifier = 'webgpu'; // optional peer: a computed specifier keeps bundlers and tsc from requiring it
    url = import.meta.resolve(specifier);
  } catch {
    return undefined; // not installed
  }
  const backend = dawnBackend();
  // Taken here, not at the top: child_process (with net and dgram) is the costliest Node module
  // that `import 'inproc'` would otherwise load, for a probe that most processes never run.
  const { execFile } = nodeModule<typeof ChildProcess>('node:child_process');
  const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure?: string }>((done) => {
    // ELECTRON_RUN_AS_NODE: in an Electron main process execPath is Electron itself.
    execFile(process.execPath, ['--input-type=module', '-e', CHILD_PROBE, url, backend], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: CHILD_PROBE_TIMEOUT_MS, windowsHide: true }, (error, out, err) => {
      done({ stdout: out, stderr: err, ...(error === null ? {} : { failure: error.killed ? `it did not answer within ${CHILD_PROBE_TIMEOUT_MS / 1000} s` : `it exited with ${error.code ?? error.signal ?? 'an error'}` }) });
    });
  });
  const log = stderr.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  if (log.length > 0 && debugEnabled('webgpu')) process.stderr.write(`inproc: the WebGPU adapter probe (Dawn) printed:\n${log.join('\n')}\n`);
  const withLog = (probe: AdapterProbe): AdapterProbe => (log.length === 0 ? probe : { ...probe, log });
  let answer: ChildAnswer;
  try {
    answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildAnswer;
  } catch {
    return withLog({ problem: `Dawn could not be asked for an adapter: the probe process ${failure ?? 'printed no answer'}${log.length > 0 ? ` (${log[0]})` : ''}`, undetermined: true });
  }
  if ('error' in answer) return withLog({ problem: `Dawn could not be asked for an adapter: ${answer.error}`, undetermined: true });
  if (answer.info === null) return withLog({ problem: `Dawn found no ${backend} adapter${backend === 'vulkan' ? `: ${vulkanProblem() ?? `none of the Vulkan drivers present is one Dawn accepts (${driverList()})`}` : ''}` });
  const { vendor, architecture, device, description, isFallbackAdapter } = answer.info;
  const name = description || device;
  const software = isSoftwareAdapter({ vendor, architecture, description: name, isFallbackAdapter });
  return withLog({ adapter: { vendor, architecture, description: name, backend, software, source: 'dawn' } });
}

/** Every Vulkan driver the loader would offer Dawn, by library name: `libvulkan_intel.so, libvulkan_lvp.so`. */
export function driverList(env: NodeJS.ProcessEnv = process.env): string {
  const names = vulkanDrivers(env).map((d) => d.library.split('/').at(-1) ?? d.library);
  return names.length === 0 ? 'no driver manifests' : names.join(', ');
}

/** What the Vulkan driver manifests say; the adapter Dawn would prefer (hardware first). */
export function vulkanAdapter(env: NodeJS.ProcessEnv = process.env): AdapterProbe {
  const problem = vulkanProblem(env);
  if (problem !== undefined) return { problem };
  const drivers = vulkanDrivers(env).map(classifyDriver);
  const usable = drivers.filter((d) => !/lvp|lavapipe/i.test(d.description)); // Dawn refuses lavapipe
  const chosen = usable.find((d) => !d.software) ?? usable[0];
  if (chosen === undefined) return { problem: `the only Vulkan drivers are ones Dawn refuses (${drivers.map((d) => d.description).join(', ')}); install the GPU's Vulkan driver, or for tests SwiftShader: VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian's chromium package)` };
  return { adapter: chosen };
}

/**
 * Why Vulkan cannot work here, naming the missing piece and its fix, or `undefined`
 * when a loader and at least one driver manifest are present. Linux only.
 */
export function vulkanProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!hasVulkanLoader(env)) {
    return 'no Vulkan loader: libvulkan.so.1 was not found; install it (Debian/Ubuntu: apt-get install libvulkan1)';
  }
  const listed = driverVariable(env);
  if (listed !== undefined) {
    const missing = listed.split(path.delimiter).filter((p) => p !== '' && !fs.existsSync(p));
    if (missing.length > 0) return `no Vulkan driver: ${listed === env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'} names ${missing.join(', ')}, which does not exist`;
  }
  if (vulkanDrivers(env).length === 0) {
    return 'no Vulkan driver (ICD manifest) was found in the Vulkan loader\'s directories; install the GPU driver\'s Vulkan ICD (NVIDIA: its nvidia_icd.json, which needs libglvnd: apt-get install libglvnd0 libglx0 libegl1 libgl1) or point VK_DRIVER_FILES at its JSON file; for tests without a GPU, SwiftShader: VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian\'s chromium package)';
  }
  return undefined;
}

function driverVariable(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  return value === undefined || value === '' ? undefined : value;
}

const LIBRARY_DIRECTORIES = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

function hasVulkanLoader(env: NodeJS.ProcessEnv): boolean {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return [...fromEnv, ...LIBRARY_DIRECTORIES].some((dir) => fs.existsSync(path.join(dir, 'libvulkan.so.1')));
}

interface IcdManifest {
  readonly file: string;
  readonly library: string;
}

/** Driver manifests the Vulkan loader would read: those of VK_DRIVER_FILES, else its standard directories. */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): readonly IcdManifest[] {
  const listed = driverVariable(env);
  const add = env.VK_ADD_DRIVER_FILES;
  const home = env.HOME ?? nodeModule<typeof Os>('node:os').homedir();
  const standard = [
    env.XDG_CONFIG_HOME ?? path.join(home, '.config'),
    ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(path.delimiter),
    '/etc',
    env.XDG_DATA_HOME ?? path.join(home, '.local/share'),
    ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(path.delimiter),
  ].map((d) => path.join(d, 'vulkan', 'icd.d'));
  const entries = [...(listed === undefined ? standard : listed.split(path.delimiter)), ...(add === undefined ? [] : add.split(path.delimiter))].filter((p) => p !== '');
  const files: string[] = [];
  for (const entry of entries) {
    try {
      if (fs.statSync(entry).isDirectory()) files.push(...fs.readdirSync(entry).filter((f) => f.endsWith('.json')).map((f) => path.join(entry, f)));
      else files.push(entry);
    } catch {
      // absent: the loader skips it too
    }
  }
  const manifests: IcdManifest[] = [];
  for (const file of new Set(files)) {
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { ICD?: { library_path?: unknown } };
      const library = json.ICD?.library_path;
      if (typeof library === 'string' && library !== '') manifests.push({ file, library: path.isAbsolute(library) || !library.includes('/') ? library : path.resolve(path.dirname(file), library) });
    } catch {
      // not a driver manifest: the loader skips it too
    }
  }
  return manifests;
}

const VENDORS: readonly [RegExp, string, string][] = [
  [/swiftshader/i, 'google', 'swiftshader'],
  [/lvp|lavapipe/i, 'mesa', 'llvmpipe'],
  [/nvidia/i, 'nvidia', ''],
  [/radeon|amdvlk|amdgpu/i, 'amd', ''],
  [/intel/i, 'intel', ''],
  [/dzn/i, 'microsoft', 'dozen'],
];

function classifyDriver(manifest: IcdManifest): WebGpuAdapterInfo {
  const name = manifest.library.split('/').at(-1) ?? manifest.library;
  const known = VENDORS.find(([pattern]) => pattern.test(name));
  return {
    vendor: known?.[1] ?? '',
    architecture: known?.[2] ?? '',
    description: `Vulkan driver ${name} (${manifest.file})`,
    backend: 'vulkan',
    software: isSoftwareAdapter({ description: name }),
    source: 'vulkan-icd',
  };
}
