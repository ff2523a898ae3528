/**
 * Event-loop delay while a ~20 ms model runs continuously: in process (onnxruntime-node
 * runs synchronously on the JS thread) versus `isolation: 'worker'`, with the
 * throughput of each. A server's other requests wait for the event loop, so its p99
 * delay is their added latency.
 *
 *   npx tsx event-loop/event-loop.ts [--quick] [--json]
 */
import { parseArgs } from 'node:util';
import { Tensor, loadModel, monitorEventLoop, type LoadOptions } from 'inproc';
import { slowModel } from '@inproc/testkit/onnx/models';
import { machine } from '../lib/environment.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const seconds = values.quick ? 0.5 : 4;
const input = new Tensor('float32', new Float32Array(512).fill(0.01), [1, 512]);

// Pick a depth that makes one run take about 20 ms on this machine.
async function calibrate(): Promise<number> {
  await using probe = await loadModel(slowModel({ depth: 10 }), { device: 'cpu' });
  await probe.run(input);
  const t = performance.now();
  for (let i = 0; i < 5; i++) await probe.run(input);
  const perRun = (performance.now() - t) / 5;
  return Math.max(1, Math.round((10 * 20) / perRun));
}

async function measure(depth: number, options: LoadOptions, callers: number): Promise<{ runsPerSecond: number; runMs: number; delay: Awaited<ReturnType<Awaited<ReturnType<typeof monitorEventLoop>>['stop']>> }> {
  await using model = await loadModel(slowModel({ depth }), { device: 'cpu', ...options });
  await model.run(input);
  const monitor = await monitorEventLoop();
  const deadline = performance.now() + seconds * 1000;
  let runs = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        await model.run(input);
        runs++;
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { runsPerSecond: runs / seconds, runMs: model.stats().durationsMs.run.p50, delay: monitor.stop() };
}

const depth = await calibrate();
const cases = [
  { name: 'in-process', options: {}, callers: 1 },
  { name: 'worker x1', options: { isolation: 'worker' as const, workers: 1 }, callers: 1 },
  { name: 'worker x2', options: { isolation: 'worker' as const, workers: 2, backendOptions: { intraOpNumThreads: 1 } }, callers: 2 },
];
const rows = [];
for (const c of cases) rows.push({ case: c.name, ...(await measure(depth, c.options, c.callers)) });
const result = { suite: 'event-loop', model: `slow MatMul chain (depth ${depth}), ~20 ms per run`, seconds, rows, machine: machine() };
const markdown = [
  `### Event-loop delay`,
  '',
  `${result.model}, ${seconds} s per case, the model kept busy.`,
  '',
  '| case | runs/s | run p50 ms | loop delay p50 ms | p99 ms | max ms |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.case} | ${r.runsPerSecond.toFixed(1)} | ${r.runMs.toFixed(1)} | ${r.delay.p50.toFixed(2)} | ${r.delay.p99.toFixed(2)} | ${r.delay.max.toFixed(2)} |`),
  '',
].join('\n');
if (values.json) console.log(JSON.stringify({ ...result, markdown }));
else console.log(markdown);
