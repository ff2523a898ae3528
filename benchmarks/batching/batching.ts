/**
 * Throughput with dynamic batching vs without, at 1/8/32/128 concurrent callers each
 * sending one row at a time to a small model (the 256x256 MLP), in one process.
 *
 *   npm run bench -w benchmarks -- --quick      (via run-all)
 *   npx tsx batching/batching.ts [--quick] [--json]
 */
import { parseArgs } from 'node:util';
import { Tensor, loadModel, type LoadOptions } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const seconds = values.quick ? 0.4 : 3;
const callerCounts = [1, 8, 32, 128];
const bytes = mlpModel(256);
const row = new Float32Array(256).map((_, i) => Math.sin(i));

async function throughput(callers: number, options: LoadOptions): Promise<{ rps: number; p50ms: number; p99ms: number; meanBatch: number }> {
  await using model = await loadModel(bytes, { device: 'cpu', ...options });
  await model.run({ x: new Tensor('float32', row, [1, 256]) });
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await model.run({ x: new Tensor('float32', row, [1, 256]) });
        latencies.push(performance.now() - t);
        done++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const stats = model.stats();
  return { rps: done / seconds, p50ms: latencies[latencies.length >> 1]!, p99ms: latencies[Math.floor(latencies.length * 0.99)]!, meanBatch: stats.batchSize.mean };
}

const rows = [];
for (const callers of callerCounts) {
  const plain = await throughput(callers, {});
  const batched = await throughput(callers, { batching: { maxBatchSize: 64, maxDelayMs: 0 } });
  rows.push({ callers, plain, batched, speedup: batched.rps / plain.rps });
}
const result = { suite: 'batching', model: 'MLP 256x256, one row per call', seconds, batching: { maxBatchSize: 64, maxDelayMs: 0 }, rows, machine: machine() };
const markdown = [
  `### Dynamic batching`,
  '',
  `${result.model}, ${seconds} s per case, batching ${JSON.stringify(result.batching)}.`,
  '',
  '| callers | no batching (req/s) | p99 ms | batching (req/s) | p99 ms | mean batch | speed-up |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.callers} | ${r.plain.rps.toFixed(0)} | ${r.plain.p99ms.toFixed(2)} | ${r.batched.rps.toFixed(0)} | ${r.batched.p99ms.toFixed(2)} | ${r.batched.meanBatch.toFixed(1)} | ${r.speedup.toFixed(2)}x |`),
  '',
].join('\n');
if (values.json) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
