/**
 * Builds the JavaScript of every public package: one esbuild bundle per package, from
 * `src/`, into `dist/` (tsc emits the declaration files there, `tsc -b`). Why: Node reads
 * each module file on its own, and on a loaded machine opening ~100 small files was most
 * of `import 'inproc'` (issue 22); a bundle per package is a few files, and what a
 * package loads only on first use (a backend's code, the repository) stays a chunk of
 * its own, behind its `import()`. esbuild because it is the bundler already in the tree
 * (vite, tsx), splits ESM on `import()`, keeps the other packages and every peer as
 * imports (one copy of `@inproc/core` per process), and writes source maps that point
 * into `src/` (shipped in the tarballs). Entry points are the files the `exports` map and
 * the `bin` scripts name; chunks sit beside them in `dist/`, so `new URL('../package.json',
 * import.meta.url)` means the same from every output file. Unchanged files are not
 * rewritten, and JavaScript in `dist/` that this build did not write is deleted.
 *
 * Run `node packages/testkit/dist/build-dist.js` (`npm run build` does;
 * vitest's global set-up too, so tests always run what `src/` says).
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type OutputFile } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../../..');

interface PackageJson {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: unknown;
  readonly imports?: unknown;
  readonly bin?: string | Record<string, string>;
}

/** The `./dist/*.js` files an `exports` map names, at any depth of conditions. */
function exportTargets(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    const m = /^\.\/dist\/([^/]+)\.js$/.exec(value);
    if (m !== null) out.add(m[1]!);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) exportTargets(v, out);
  }
}

/**
 * The entry points of one package: what `exports`, `imports` (`#peer`: a module chosen by
 * condition, e.g. an optional peer's import hidden from server bundlers under `node`) and
 * the `bin` scripts (`import('../dist/x.js')`) name.
 */
async function entryNames(dir: string, pkg: PackageJson): Promise<string[]> {
  const names = new Set<string>();
  exportTargets(pkg.exports, names);
  exportTargets(pkg.imports, names);
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) {
    for (const m of (await readFile(join(dir, bin), 'utf8')).matchAll(/\.\.\/dist\/([\w-]+)\.js/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

async function jsFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.js(\.map)?$/.test(entry.name)) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** The public packages (not `private`), as folders under `packages/`. */
export async function publicPackages(): Promise<{ dir: string; pkg: PackageJson }[]> {
  const out: { dir: string; pkg: PackageJson }[] = [];
  for (const name of (await readdir(join(ROOT, 'packages'))).sort()) {
    const dir = join(ROOT, 'packages', name);
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(await readFile(path, 'utf8')) as PackageJson;
    if (pkg.private !== true) out.push({ dir, pkg });
  }
  return out;
}

/** Bundles one package; returns the files written (changed) and deleted, relative to the repository. */
export async function buildPackage(dir: string, pkg: PackageJson): Promise<{ written: string[]; deleted: string[] }> {
  const entries = await entryNames(dir, pkg);
  const outdir = join(dir, 'dist');
  const result = await build({
    absWorkingDir: dir,
    entryPoints: entries.map((name) => ({ in: `src/${name}.ts`, out: name })),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // Other packages (one @inproc/core per process), optional peers and Node's modules stay imports;
    // so do `#` imports, which the app's resolver picks by condition.
    packages: 'external',
    external: ['node:*', '#*'],
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    // src/ ships in each tarball; the maps name it rather than carry it.
    sourcesContent: false,
    tsconfig: join(dir, 'tsconfig.json'),
    legalComments: 'none',
    // The packages' `sideEffects` fields speak of dist/ (for the bundlers of apps); inside a
    // package every module is kept as written (worker.ts imports node.ts for its registrations).
    ignoreAnnotations: true,
    logLevel: 'warning',
    write: false,
  });
  await checkStarExports(dir, entries, result.outputFiles);
  const written: string[] = [];
  const outputs = new Set<string>();
  for (const file of result.outputFiles) {
    outputs.add(file.path);
    const old = existsSync(file.path) ? await readFile(file.path) : undefined;
    if (old !== undefined && Buffer.compare(old, file.contents) === 0) continue;
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.contents);
    written.push(relative(ROOT, file.path));
  }
  const deleted: string[] = [];
  for (const file of await jsFiles(outdir)) {
    if (outputs.has(file)) continue;
    await rm(file);
    deleted.push(relative(ROOT, file));
  }
  return { written, deleted };
}

/**
 * esbuild keeps `export * from '<another package>'` only in the file of the module that
 * says it: when that module is shared by two entries it moves to a chunk, and the entries
 * lose those names without a word. Each entry that says it must keep it.
 */
async function checkStarExports(dir: string, entries: readonly string[], outputs: readonly OutputFile[]): Promise<void> {
  for (const name of entries) {
    const source = await readFile(join(dir, 'src', `${name}.ts`), 'utf8');
    const output = outputs.find((f) => f.path === join(dir, 'dist', `${name}.js`))?.text ?? '';
    for (const m of source.matchAll(/^export \* from '([^.][^']*)';/gm)) {
      if (!output.includes(`export * from "${m[1]}";`)) {
        throw new Error(`${relative(ROOT, dir)}: dist/${name}.js lost "export * from '${m[1]}'" (its module went into a chunk shared with another entry: move what the other entry needs into a module of its own)`);
      }
    }
  }
}

/** Bundles every public package. */
export async function buildDist(): Promise<{ written: string[]; deleted: string[] }> {
  const all = await Promise.all((await publicPackages()).map(({ dir, pkg }) => buildPackage(dir, pkg)));
  return { written: all.flatMap((r) => r.written), deleted: all.flatMap((r) => r.deleted) };
}

/** vitest's global set-up (vitest.config.ts): the tests import the packages' dist/, built from src/ now. */
export async function setup(): Promise<void> {
  await buildDist();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { written, deleted } = await buildDist();
  console.log(`dist: ${written.length} files written, ${deleted.length} deleted`);
}
