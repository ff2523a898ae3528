/**
 * The packages as a user gets them. Reads the tarballs `npm run pack` wrote into `packs/`
 * and checks each one (README, LICENSE, metadata, source maps that resolve, no build output
 * without its source, publint, arethetypeswrong), then installs them into fresh projects
 * outside the repository, from the npm registry and the local tarballs only, and there:
 *
 * - Node, without DOM types: type-checks the README's examples, an `inproc types`
 *   declaration and every package's entry point (strict, skipLibCheck off), checks that no
 *   optional peer's declarations entered the program, and runs the examples (compiled by
 *   tsc, and through tsx) and the `inproc` command under every Node binary given
 *   (`--node <path>`, repeatable; default the one running this script);
 * - a browser (bundler) project without Node types: type-checks the browser entry.
 *
 * Run it with `npm run check:packages` (packs first). Exits non-zero naming every failure.
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const PACKS = join(ROOT, 'packs');
const BIN = join(ROOT, 'node_modules/.bin');
/** A generous bound on each command; a program that does not end is a failure, not slow. */
const LIMIT_MS = 300_000;

const { values: args } = parseArgs({ options: { node: { type: 'string', multiple: true }, keep: { type: 'boolean' } } });
const nodes = args.node ?? [process.execPath];

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(command, argv, { cwd, env: { ...process.env, ...env }, timeout: LIMIT_MS, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr: error !== null && error.killed ? `${stderr}\n(killed after ${LIMIT_MS / 1000} s: it did not end)` : stderr });
    });
  });
}

/** Runs a command that must succeed; records a failure with its output otherwise. */
async function must(what: string, command: string, argv: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Result> {
  const r = await run(command, argv, cwd, env);
  check(r.code === 0, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`.trimEnd());
  return r;
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: { node?: string };
  repository?: { url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  exports?: Record<string, unknown>;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** The version of a package installed in the repository, so that the consumer gets the same one (from npm's cache). */
async function repoVersion(name: string): Promise<string> {
  return (await readJson<PackageJson>(join(ROOT, 'node_modules', name, 'package.json'))).version;
}

/** The ```ts / ```js block under a README heading (the first one after it). */
function codeBlock(markdown: string, heading: RegExp, lang: 'ts' | 'js', nth = 0): string {
  const start = markdown.search(heading);
  if (start < 0) throw new Error(`README: no heading ${heading}`);
  const blocks = [...markdown.slice(start).matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  const block = blocks[nth]?.[1];
  if (block === undefined) throw new Error(`README: no ${lang} block #${nth} after ${heading}`);
  return block;
}

// ---------------------------------------------------------------------------------------
// 1. Each tarball on its own.

const root = await readJson<PackageJson>(join(ROOT, 'package.json'));
const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
const publicPackages = new Map<string, string>(); // name -> folder under packages/
for (const dir of await readdir(join(ROOT, 'packages'))) {
  const path = join(ROOT, 'packages', dir, 'package.json');
  if (!existsSync(path)) continue;
  const pkg = await readJson<PackageJson>(path);
  if (pkg.private !== true) publicPackages.set(pkg.name, `packages/${dir}`);
}
const tarballs = (await readdir(PACKS)).filter((f) => f.endsWith('.tgz')).map((f) => join(PACKS, f));
check(tarballs.length === publicPackages.size, `packs/ holds ${tarballs.length} tarballs for ${publicPackages.size} public packages: run npm run pack`);

const work = await mkdtemp(join(tmpdir(), 'inproc-consumer-'));
console.log(`checking ${tarballs.length} tarballs in ${work}`);

for (const tarball of tarballs) {
  const out = join(work, 'extract', relative(PACKS, tarball).replace(/\.tgz$/, ''));
  await mkdir(out, { recursive: true });
  await must(`extract ${tarball}`, 'tar', ['-xzf', tarball, '-C', out], work);
  const dir = join(out, 'package');
  const pkg = await readJson<PackageJson>(join(dir, 'package.json'));
  const label = `${pkg.name} (${relative(ROOT, tarball)})`;
  const all = await files(dir);
  const has = (path: string): boolean => all.includes(join(dir, path));
  check(has('README.md'), `${label}: no README.md`);
  check(has('LICENSE') && (await readFile(join(dir, 'LICENSE'), 'utf8')) === license, `${label}: LICENSE missing or not the repository's`);
  check(pkg.license === root.license, `${label}: license ${pkg.license} is not ${root.license}`);
  check(pkg.engines?.node === root.engines?.node, `${label}: engines.node ${pkg.engines?.node} is not the repository's ${root.engines?.node}`);
  check(pkg.repository?.url === root.repository?.url && pkg.repository?.directory === publicPackages.get(pkg.name), `${label}: repository is not { url: ${root.repository?.url}, directory: ${publicPackages.get(pkg.name)} }`);
  check(typeof pkg.homepage === 'string' && pkg.homepage.startsWith(root.homepage?.replace(/#readme$/, '') ?? '?'), `${label}: homepage ${pkg.homepage} is not under ${root.homepage}`);
  check(pkg.bugs?.url === root.bugs?.url, `${label}: bugs.url ${pkg.bugs?.url} is not ${root.bugs?.url}`);

  // Source maps (.js.map for stack traces, .d.ts.map for go-to-definition) must name files that are in the tarball.
  for (const map of all.filter((f) => f.endsWith('.map'))) {
    const json = await readJson<{ sources?: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] }>(map);
    (json.sources ?? []).forEach((source, i) => {
      const target = resolve(dirname(map), json.sourceRoot ?? '', source);
      check(all.includes(target) || typeof json.sourcesContent?.[i] === 'string', `${label}: ${relative(dir, map)} points to ${source}, which is not in the tarball`);
    });
  }
  // dist/ JavaScript is bundled (packages/testkit/src/build-dist.ts): entries and their chunks. Each
  // file comes with a source map naming the src/ modules it was built from (checked above to be in
  // the tarball); one without is not this build's output (stale, or written by hand).
  for (const js of all.filter((f) => /[\\/]dist[\\/].*\.js$/.test(f))) {
    const map = `${js}.map`;
    const sources = all.includes(map) ? ((await readJson<{ sources?: string[] }>(map)).sources ?? []) : [];
    check(sources.some((source) => /(^|\/)src\//.test(source)), `${label}: ${relative(dir, js)} has no source map naming its src/ modules (stale build output? npm run clean && npm run pack)`);
  }
  // Declarations (tsc, one per module) without their module are stale (a renamed or deleted module).
  for (const dts of all.filter((f) => /[\\/]dist[\\/].*\.d\.ts$/.test(f))) {
    const source = dts.replace(/([\\/])dist([\\/])/, '$1src$2').replace(/\.d\.ts$/, '.ts');
    check(all.includes(source), `${label}: ${relative(dir, dts)} has no ${relative(dir, source)} (stale build output? npm run clean && npm run pack)`);
  }

  const lint = await run(join(BIN, 'publint'), [tarball, '--strict'], ROOT);
  check(lint.code === 0 && !/warning|error|suggestion/i.test(lint.stdout.replace(/^Running publint.*$/m, '')), `${label}: publint\n${lint.stdout}${lint.stderr}`.trimEnd());
  // ESM-only packages: the CommonJS resolution modes do not apply.
  const types = await run(join(BIN, 'attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT);
  check(types.code === 0, `${label}: arethetypeswrong\n${types.stdout}${types.stderr}`.trimEnd());
}

// ---------------------------------------------------------------------------------------
// 2. A Node project: the README's examples, an `inproc types` declaration, every package.

const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
const strict = { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, forceConsistentCasingInFileNames: true };
// Only the npm registry and the local tarballs; install scripts off as the README says for offline machines.
const installEnv = { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false' };
const versions = Object.fromEntries(await Promise.all(['onnxruntime-node', 'onnxruntime-web', '@ricky0123/vad-web', 'typescript', '@types/node', 'tsx'].map(async (n) => [n, await repoVersion(n)] as const)));

const nodeProject = join(work, 'node-project');
await mkdir(nodeProject);
await writeFile(join(nodeProject, 'package.json'), JSON.stringify({ name: 'consumer-node', private: true, type: 'module' }, null, 2));
await must(
  'node project: npm install the tarballs',
  'npm',
  ['install', '--prefer-offline', ...tarballs, `onnxruntime-node@${versions['onnxruntime-node']}`, `@ricky0123/vad-web@${versions['@ricky0123/vad-web']}`, `typescript@${versions['typescript']}`, `@types/node@${versions['@types/node']}`, `tsx@${versions['tsx']}`],
  nodeProject,
  installEnv,
);

const hero = codeBlock(readme, /^# Inproc/m, 'ts');
const quickstart = codeBlock(readme, /^## Quick start/m, 'js');
await writeFile(join(nodeProject, 'hero.ts'), hero);
await writeFile(join(nodeProject, 'quickstart.mjs'), quickstart);
// Every public package's entry, so that all their declarations are checked.
await writeFile(join(nodeProject, 'packages.ts'), [...publicPackages.keys()].map((name, i) => `export * as p${i} from '${name}';`).join('\n') + '\n');
// The typed path the quick start points to: declarations generated by `inproc types`.
const silero = join(nodeProject, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const generated = await must('node project: npx inproc types', 'npx', ['--no-install', 'inproc', 'types', silero, '--name', 'Silero'], nodeProject);
await writeFile(join(nodeProject, 'silero.ts'), generated.stdout);
await writeFile(
  join(nodeProject, 'typed.ts'),
  `import { loadModel, Tensor } from 'inproc';
import type { SileroFeeds, SileroOutputs } from './silero.js';
const vad = await loadModel<SileroFeeds, SileroOutputs>(process.argv[2]!);
const out = await vad.run({ input: new Tensor('float32', new Float32Array(512), [1, 512]), state: new Tensor('float32', new Float32Array(256), [2, 1, 128]), sr: new Tensor('int64', [16000n], []) });
const data: Float32Array = out.output.data;
console.log('typed', data.length);
await vad.dispose();
`,
);
await writeFile(
  join(nodeProject, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { ...strict, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], allowJs: true, checkJs: true, outDir: 'out' }, include: ['*.ts', '*.mjs'] }, null, 2),
);
const tsc = join(nodeProject, 'node_modules/typescript/bin/tsc');
const nodeBuild = await must('node project: tsc (strict, skipLibCheck off, no DOM)', process.execPath, [tsc, '-p', '.'], nodeProject);
if (nodeBuild.code === 0) {
  const listed = await must('node project: tsc --listFilesOnly', process.execPath, [tsc, '-p', '.', '--listFilesOnly'], nodeProject);
  // Our declarations must not pull in the optional peers' (onnxruntime-common's need the DOM, TF.js may be absent).
  const peers = listed.stdout.split('\n').filter((f) => /node_modules[\\/](onnxruntime-|@tensorflow[\\/]|sharp[\\/]|wavefile[\\/])/.test(f));
  check(peers.length === 0, `node project: the program includes optional peers' declarations:\n${peers.join('\n')}`);
  for (const node of nodes) {
    const version = (await run(node, ['--version'], nodeProject)).stdout.trim();
    for (const [what, argv] of [
      ['README first example (compiled TypeScript)', ['out/hero.js']],
      ['README first example (npx tsx vad.ts)', [join(nodeProject, 'node_modules/tsx/dist/cli.mjs'), 'hero.ts']],
      ['README quick start (JavaScript)', ['quickstart.mjs']],
      ['inproc types declarations', ['out/typed.js', silero]],
    ] as const) {
      const r = await must(`node ${version}: ${what}`, node, argv, nodeProject);
      check(/speech probability 0\.\d+|typed 1/.test(r.stdout), `node ${version}: ${what} printed ${JSON.stringify(r.stdout)}`);
    }
    const info = await must(`node ${version}: npx inproc info`, node, [join(nodeProject, 'node_modules/@inproc/cli/bin/inproc.js'), 'info', silero], nodeProject);
    check(info.stdout.includes('sr') && info.stdout.includes('stateN'), `node ${version}: inproc info did not show Silero's signature:\n${info.stdout}`);
  }
}

// ---------------------------------------------------------------------------------------
// 3. A browser project (a bundler resolves the `browser` condition), without Node types.

const browserProject = join(work, 'browser-project');
await mkdir(browserProject);
await writeFile(join(browserProject, 'package.json'), JSON.stringify({ name: 'consumer-browser', private: true, type: 'module' }, null, 2));
await must('browser project: npm install the tarballs', 'npm', ['install', '--prefer-offline', ...tarballs, `onnxruntime-web@${versions['onnxruntime-web']}`, `typescript@${versions['typescript']}`], browserProject, installEnv);
await writeFile(join(browserProject, 'main.ts'), await readFile(join(import.meta.dirname, 'browser-main.ts'), 'utf8'));
await writeFile(
  join(browserProject, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { ...strict, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable', 'ESNext.Disposable'], types: [], noEmit: true }, include: ['main.ts'] }, null, 2),
);
const browserTsc = join(browserProject, 'node_modules/typescript/bin/tsc');
const browserBuild = await must('browser project: tsc (strict, skipLibCheck off, no Node types)', process.execPath, [browserTsc, '-p', '.'], browserProject);
if (browserBuild.code === 0) {
  const listed = await must('browser project: tsc --listFilesOnly', process.execPath, [browserTsc, '-p', '.', '--listFilesOnly'], browserProject);
  const nodeOnly = listed.stdout.split('\n').filter((f) => /node_modules[\\/](@types[\\/]node|onnxruntime-node|@inproc[\\/]onnx-node)[\\/]/.test(f));
  check(nodeOnly.length === 0, `browser project: the program includes Node-only declarations:\n${nodeOnly.join('\n')}`);
}

if (args.keep !== true) await rm(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`\n${failures.length} problem(s) with the packages as users get them:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log(`ok: ${tarballs.length} tarballs; Node project (${nodes.length} Node version${nodes.length === 1 ? '' : 's'}) and browser project type-check and run`);
