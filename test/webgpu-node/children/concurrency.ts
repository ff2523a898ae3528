/**
 * Child process of concurrency.test.ts: every combination of WebGPU models, isolation
 * workers and concurrent callers in one process, with aborts and a dispose in the middle.
 * Prints one JSON line of findings; exits 0 only when every check held (a native crash
 * of the WebGPU device would end it with a signal instead).
 */
import { InprocError, Tensor, loadModel, resources, type Model } from 'inproc';
import { mlpModel, mlpReference } from '@inproc/testkit/onnx/models';

const scenario = process.argv[2] ?? 'mixed';
const bytes = mlpModel(256);
const problems: string[] = [];
const input = (i: number): Tensor => new Tensor('float32', new Float32Array(256).map((_, j) => Math.sin(i * 13 + j)), [1, 256]);

function check(i: number, y: Tensor | undefined, label: string): void {
  const expected = mlpReference(input(i).data as Float32Array, 1, 256);
  const data = y?.data as Float32Array | undefined;
  if (data === undefined) return void problems.push(`${label}: no output`);
  let diff = 0;
  for (let k = 0; k < expected.length; k++) diff = Math.max(diff, Math.abs(data[k]! - expected[k]!));
  if (diff > 1e-4) problems.push(`${label}: differs from the reference by ${diff}`);
}

const loads: Record<string, () => Promise<Model>> = {
  'one model, 3 workers': () => loadModel(bytes, { device: 'webgpu', isolation: 'worker', workers: 3 }),
  'worker A': () => loadModel(bytes, { device: 'webgpu', isolation: 'worker' }),
  'worker B': () => loadModel(bytes, { device: 'webgpu', isolation: 'worker' }),
  'in-thread 1': () => loadModel(bytes, { device: 'webgpu' }),
  'in-thread 2': () => loadModel(bytes, { device: 'webgpu', concurrency: 1 }),
  'cpu worker': () => loadModel(bytes, { device: 'cpu', isolation: 'worker' }),
};
const chosen = scenario === 'workers-only' ? ['one model, 3 workers', 'worker A', 'worker B'] : scenario === 'threads-only' ? ['in-thread 1', 'in-thread 2'] : Object.keys(loads);

// Loads race each other too: sessions are created on several threads at once.
const models = await Promise.all(chosen.map(async (name) => ({ name, model: await loads[name]!() })));
for (const { name, model } of models) if (model.device !== (name === 'cpu worker' ? 'cpu' : 'webgpu')) problems.push(`${name} runs on ${model.device}`);

let completed = 0;
let aborted = 0;
let refusedAfterDispose = 0;
const calls: Promise<void>[] = [];
const victim = models[1]!; // disposed while its calls are in flight
for (let i = 0; i < 120; i++) {
  const { name, model } = models[i % models.length]!;
  const controller = new AbortController();
  const abortThis = i % 10 === 7;
  calls.push(
    model.run({ x: input(i) }, { signal: controller.signal }).then(
      (out) => {
        completed++;
        check(i, out['y'], `${name} call ${i}`);
      },
      (error: unknown) => {
        if (InprocError.is(error, 'ABORTED') && abortThis) aborted++;
        else if (InprocError.is(error, 'DISPOSED') && model === victim.model) refusedAfterDispose++;
        else problems.push(`${name} call ${i}: ${String(error)}`);
      },
    ),
  );
  if (abortThis) setTimeout(() => controller.abort(), i % 3);
  if (i === 60) calls.push(victim.model.dispose());
}
await Promise.all(calls);
for (const { model } of models) await model.dispose();
const left = resources();
if (left.models !== 0 || left.sessions !== 0 || left.tensors !== 0) problems.push(`resources left: ${JSON.stringify(left)}`);
console.log(JSON.stringify({ scenario, models: models.length, completed, aborted, refusedAfterDispose, problems }));
process.exitCode = problems.length === 0 && completed > 0 ? 0 : 1;
