/**
 * OCR command line: prints `{"lines":[{"text","score","box"}]}` on stdout and a
 * readable summary on stderr. The image's path is relative to the directory the command
 * was run from (default: the bundled inputs/english.png); a bad one is a one-line coded error.
 *
 *   npm run start -w examples/ocr -- <image>
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InprocError, resources } from 'inproc';
import { createOcr } from './ocr.js';

const given = process.argv[2];
// npm runs workspace scripts in the workspace folder; INIT_CWD is where the user was.
const file = given === undefined ? fileURLToPath(new URL('../inputs/english.png', import.meta.url)) : resolve(process.env['INIT_CWD'] ?? process.cwd(), given);
try {
  if (!existsSync(file)) throw new InprocError('INPUT_INVALID', `no such image: ${given} (looked for ${file})`);
  await using ocr = await createOcr();
  const result = await ocr.recognize(file);
  console.log(JSON.stringify(result));
  const t = ocr.timings;
  console.error(`${given ?? file}: ${result.lines.length} line(s)`);
  for (const line of result.lines) console.error(`  ${line.score.toFixed(3)}  ${line.text}`);
  console.error(`  decode ${t.decode.toFixed(0)} ms, detect ${t.detect.toFixed(0)} ms, classify ${t.classify.toFixed(0)} ms, recognize ${t.recognize.toFixed(0)} ms`);
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
const left = resources();
if (left.models !== 0 || left.sessions !== 0) console.error(`warning: resources left after dispose: ${JSON.stringify(left)}`);
