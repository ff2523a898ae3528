/**
 * CLI: speech segments of a WAV file as JSON on stdout, a summary on stderr.
 *
 *   npm run start -w examples/vad -- recording.wav
 */
import { resolve } from 'node:path';
import { InprocError } from 'inproc';
import { detectSpeech, summarize } from './vad.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: npm run start -w examples/vad -- <file.wav>');
  process.exit(2);
}
try {
  // npm runs workspace scripts in the workspace folder; resolve against where the user was.
  const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  const result = await detectSpeech(path);
  console.log(JSON.stringify(result));
  console.error(`${file}: ${summarize(result)}`);
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
