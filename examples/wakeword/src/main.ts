/**
 * CLI: the wake words in a WAV file as JSON on stdout, or live from raw 16 kHz 16-bit
 * mono PCM on stdin (one JSON line per detection, printed as the score crosses the
 * threshold). Paths are relative to the directory the command was run from; bad
 * arguments are a one-line coded error.
 *
 *   npm run start -w examples/wakeword -- recording.wav [--keywords hey_jarvis,alexa] [--threshold 0.5]
 *   arecord -f S16_LE -r 16000 -c 1 | npm run start -w examples/wakeword -- --live
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InprocError } from 'inproc';
import { KEYWORDS, type Keyword, type WakeWordOptions, detectWakeWords, openWakeWord } from './wakeword.js';

const USAGE = `usage: npm run start -w examples/wakeword -- <file.wav> [--keywords ${KEYWORDS.join(',')}] [--threshold 0.5]
       <raw 16 kHz S16_LE mono on stdin> | npm run start -w examples/wakeword -- --live [--keywords ...] [--threshold 0.5]`;

try {
  const { values, positionals } = parseArgs({
    options: { keywords: { type: 'string' }, threshold: { type: 'string' }, live: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (values.help === true || (values.live !== true && positionals.length !== 1) || (values.live === true && positionals.length > 0)) {
    console.error(USAGE);
    process.exit(values.help === true ? 0 : 2);
  }
  const options: WakeWordOptions = {
    ...(values.keywords === undefined ? {} : { keywords: values.keywords.split(',').map((k) => k.trim()) as Keyword[] }),
    ...(values.threshold === undefined ? {} : { threshold: Number(values.threshold) }),
  };
  if (values.live === true) await live(options);
  else {
    const file = positionals[0]!;
    // npm runs workspace scripts in the workspace folder; INIT_CWD is where the user was.
    const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
    if (!existsSync(path)) throw new InprocError('INPUT_INVALID', `no such WAV file: ${file} (looked for ${path})`);
    const result = await detectWakeWords(path, options);
    console.log(JSON.stringify(result));
    console.error(`${file}: ${result.detections.length} detection${result.detections.length === 1 ? '' : 's'}${result.detections.map((d) => `\n  ${d.keyword} ${d.start.toFixed(2)}-${d.end.toFixed(2)} s (score ${d.score})`).join('')}`);
  }
} catch (error) {
  console.error(InprocError.is(error) ? `error ${error.code}: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

/** Reads stdin to its end; awaiting each push before reading on is the back-pressure. */
async function live(options: WakeWordOptions): Promise<void> {
  const detector = await openWakeWord({ ...options, onStart: (d) => console.log(JSON.stringify(d)) });
  try {
    console.error(`listening for ${detector.keywords.join(', ')} on stdin (16 kHz S16_LE mono)`);
    let odd: number | undefined;
    for await (const data of process.stdin as AsyncIterable<Buffer>) {
      // A read may end inside a sample: keep its first byte for the next one.
      const bytes = odd === undefined ? data : Buffer.concat([Buffer.from([odd]), data]);
      const whole = bytes.length & ~1;
      odd = whole < bytes.length ? bytes[whole] : undefined;
      const pcm = new Int16Array(whole / 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
      await detector.push(pcm);
    }
  } finally {
    await detector.dispose();
  }
}
