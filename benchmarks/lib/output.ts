/**
 * Where results go. A full run writes the committed Markdown tables and SVG charts to
 * benchmarks/results/ and the raw JSON (every sample) to results/raw/ (git-ignored); a
 * quick run (CI) writes everything under results/raw/quick/, so it never changes
 * committed files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface OutputDirs {
  /** Markdown and SVG. */
  readonly report: string;
  /** Raw JSON. */
  readonly raw: string;
}

export function outputDirs(options: { quick: boolean; out?: string | undefined }): OutputDirs {
  if (options.out !== undefined) return { report: options.out, raw: join(options.out, 'raw') };
  return options.quick ? { report: join(RESULTS_DIR, 'raw/quick'), raw: join(RESULTS_DIR, 'raw/quick') } : { report: RESULTS_DIR, raw: join(RESULTS_DIR, 'raw') };
}

export async function writeOutput(dir: string, name: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
