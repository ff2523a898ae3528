/**
 * OCR command line: prints `{"lines":[{"text","score","box"}]}` on stdout and a
 * readable summary on stderr.
 *
 *   npm run start -w examples/ocr -- <image>      (default: inputs/english.png)
 */
import { fileURLToPath } from 'node:url';
import { resources } from 'inproc';
import { createOcr } from './ocr.js';

const file = process.argv[2] ?? fileURLToPath(new URL('../inputs/english.png', import.meta.url));
{
  await using ocr = await createOcr();
  const result = await ocr.recognize(file);
  console.log(JSON.stringify(result));
  const t = ocr.timings;
  console.error(`${file}: ${result.lines.length} line(s)`);
  for (const line of result.lines) console.error(`  ${line.score.toFixed(3)}  ${line.text}`);
  console.error(`  decode ${t.decode.toFixed(0)} ms, detect ${t.detect.toFixed(0)} ms, classify ${t.classify.toFixed(0)} ms, recognize ${t.recognize.toFixed(0)} ms`);
}
const left = resources();
if (left.models !== 0 || left.sessions !== 0) console.error(`warning: resources left after dispose: ${JSON.stringify(left)}`);
