/**
 * CLI: speech segments of a WAV file as JSON on stdout, a summary on stderr. The path is
 * relative to the directory the command was run from; a bad one is a one-line coded error.
 *
 *   npm run start -w examples/vad -- recording.wav
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InprocError } from 'inproc';
import { detectSpeech, summarize } from './vad.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: npm run start -w examples/vad -- <file.wav>');
  process.exit(2);
}
try {
  // npm runs workspace scripts in the workspace folder; INIT_CWD is where the user was.
  const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  if (!existsSync(path)) throw new InprocError('INPUT_INVALID', `no such WAV file: ${file} (looked for ${path})`);
  const result = await detectSpeech(path);
  console.log(JSON.stringify(result));
  console.error(`${file}: ${summarize(result)}`);
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
