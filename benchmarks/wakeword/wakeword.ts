/**
 * The wake-word example's speed against the same pipeline written plainly on raw
 * onnxruntime-node (raw.ts), in the same process and run, rounds alternating:
 *
 * - real-time factor (seconds of audio per second of wall time) on a long recording of
 *   espeak-ng speech with wake words in it, four heads: the example given the whole file
 *   in one push, the example fed 80 ms chunks as live audio would come, and raw;
 * - the ratio of the example's wall time to raw's (the goal is at most 1.1);
 * - per-chunk latency in live mode: each 80 ms push timed from call to resolution
 *   (p50, p99, max), pushed one after another as fast as they finish.
 *
 * Models are loaded before timing, with one intra-op thread on both sides; both are
 * checked to give the same scores before anything is timed. What the example does to get
 * there: the trunk (melspectrogram + embedding) runs once per step for all heads, the
 * embeddings of a long push run as one batch, the four heads run concurrently, the
 * rolling windows are preallocated and fed to the models as views (no per-frame
 * allocation or copy).
 *
 *   npx tsx benchmarks/wakeword/wakeword.ts [--quick] [--json]
 */
import { parseArgs } from 'node:util';
import { openWakeWordModels, recording, type Part } from '@inproc/testkit/openwakeword';
import { openWakeWord, readAudio, detectIn, STEP, SAMPLE_RATE, KEYWORDS } from '../../examples/wakeword/src/wakeword.js';
import { machine } from '../lib/environment.js';
import { quantile, summarize } from '../stats.js';
import { openRawWakeWord } from './raw.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const quick = values.quick === true;
const rounds = quick ? 2 : 7;
const seconds = quick ? 15 : 60;

// A long recording: sentences, and now and then a wake word, in several voices.
const voices = ['en-us', 'en-gb', 'en-us+f3', 'en-gb-scotland', 'en-us+m3'];
const sentences = ['Good morning, it is a lovely day.', 'The train to the city leaves at half past nine.', 'Please turn on the lights in the kitchen.', 'I would like a cup of tea.'];
const words = ['hey jarvis', 'alexa', 'hey rhasspy'];
const parts: Part[] = [];
for (let i = 0, total = 0; total < seconds; i++) {
  const voice = voices[i % voices.length]!;
  parts.push({ silence: 0.5 }, { text: sentences[i % sentences.length]!, voice });
  if (i % 2 === 1) parts.push({ silence: 0.4 }, { text: words[(i >> 1) % words.length]!, voice, speed: 150 });
  total += i % 2 === 1 ? 5.5 : 3.2; // roughly: the recording's real length is measured below
}
const rec = await recording({ parts });
const samples = await readAudio(rec.path);
const audioSeconds = samples.length / SAMPLE_RATE;
const dir = await openWakeWordModels();
const backendOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

const detector = await openWakeWord({ modelDir: dir, loadOptions: { backendOptions } });
const raw = await openRawWakeWord(dir, KEYWORDS);

// Same answer first: the last step's scores of every head agree.
const rawScores = await raw.scores(samples);
await detector.reset();
const mine = await detector.graph.push(Float32Array.from(samples, (x) => x * 32767));
for (const keyword of KEYWORDS) {
  const last = mine.filter((r) => r.stage === keyword).at(-1)!.values[0]!;
  const reference = rawScores[keyword]!.at(-1)!;
  if (Math.abs(last - reference) > 1e-4) throw new Error(`${keyword}: the example scores ${last}, raw ${reference}`);
}
const detections = await detectIn(detector, samples);

const time = async (task: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await task();
  return performance.now() - start;
};
const wall = { raw: [] as number[], whole: [] as number[], live: [] as number[] };
const latencies: number[] = [];
for (let r = 0; r < rounds; r++) {
  wall.raw.push(await time(() => raw.scores(samples)));
  wall.whole.push(await time(() => detectIn(detector, samples)));
  await detector.reset();
  wall.live.push(
    await time(async () => {
      for (let at = 0; at + STEP <= samples.length; at += STEP) {
        const chunk = samples.subarray(at, at + STEP);
        const start = performance.now();
        await detector.push(chunk);
        latencies.push(performance.now() - start);
      }
    }),
  );
}
await detector.dispose();
await raw.release();

const median = (xs: readonly number[]): number => summarize(xs).p50;
const sortedLatency = [...latencies].sort((a, b) => a - b);
const { loadavg } = await import('node:os');
const result = {
  suite: 'wakeword',
  audioSeconds,
  heads: KEYWORDS.length,
  rounds,
  detections: detections.length,
  rtf: { raw: audioSeconds / (median(wall.raw) / 1000), whole: audioSeconds / (median(wall.whole) / 1000), live: audioSeconds / (median(wall.live) / 1000) },
  wallMs: { raw: median(wall.raw), whole: median(wall.whole), live: median(wall.live) },
  ratio: { whole: median(wall.whole) / median(wall.raw), live: median(wall.live) / median(wall.raw) },
  chunkLatencyMs: { chunks: latencies.length, p50: quantile(sortedLatency, 0.5), p99: quantile(sortedLatency, 0.99), max: sortedLatency.at(-1) ?? 0 },
  loadAverage: loadavg(),
  machine: machine(),
};

const f1 = (n: number): string => n.toFixed(1);
const markdown = [
  `### Wake word: openWakeWord as a streaming graph vs raw onnxruntime-node`,
  '',
  `${f1(audioSeconds)} s of espeak-ng speech with ${detections.length} wake words found, four heads, one intra-op thread per session; medians of ${rounds} alternating rounds (load average ${result.loadAverage.map((l) => l.toFixed(2)).join(', ')} when done).`,
  '',
  '| | wall ms | × real time | ratio to raw |',
  '|---|---:|---:|---:|',
  `| raw onnxruntime-node, whole file | ${f1(result.wallMs.raw)} | ${f1(result.rtf.raw)} | 1 |`,
  `| example, whole file in one push | ${f1(result.wallMs.whole)} | ${f1(result.rtf.whole)} | ${result.ratio.whole.toFixed(3)} |`,
  `| example, 80 ms pushes (live) | ${f1(result.wallMs.live)} | ${f1(result.rtf.live)} | ${result.ratio.live.toFixed(3)} |`,
  '',
  `Live: ${latencies.length} pushes of 80 ms, each timed from push() to its result: p50 ${result.chunkLatencyMs.p50.toFixed(2)} ms, p99 ${result.chunkLatencyMs.p99.toFixed(2)} ms, max ${result.chunkLatencyMs.max.toFixed(2)} ms.`,
  '',
].join('\n');
if (values.json === true) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
