import * as ort from 'onnxruntime-node';
import { Tensor, loadModel } from 'inproc';
import { mlpModel } from '../../test/fixtures/onnx/models.js';
const batch = 8, size = 256;
const bytes = mlpModel(size);
const x = new Float32Array(batch * size).map((_, i) => Math.sin(i));
const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
const model = await loadModel(bytes, { backend: 'onnx-node', device: 'cpu' });
const handler = (raw as any).handler;
import { onnxNodeBackend } from '@inproc/onnx-node';
import { validateFeeds, resources } from '@inproc/core';
const sess = await onnxNodeBackend.load({ format: 'onnx', name: 'mlp', bytes }, { device: 'cpu', backendOptions: {} });
const outs = { outputs: ['y'] };

const fns: Record<string, () => Promise<number>> = {
  raw: async () => { const o = await raw.run({ x: new ort.Tensor('float32', x, [batch, size]) }); return (o['y']!.data as Float32Array)[0]!; },
  inproc: async () => { const o = await model.run({ x: new Tensor('float32', x, [batch, size]) }); return (o['y']!.data as Float32Array)[0]!; },
  handler: async () => { const o = await handler.run({ x: new ort.Tensor('float32', x, [batch, size]) }, { y: null }, {}); return (o['y']!.data as Float32Array)[0]!; },
  session: async () => { const o = await sess.run({ x: new Tensor('float32', x, [batch, size]) }, outs); return (o['y']!.data as Float32Array)[0]!; },
  valid: async () => { const f = validateFeeds(sess.signature, { x: new Tensor('float32', x, [batch, size]) }); const o = await sess.run(f, outs); return (o['y']!.data as Float32Array)[0]!; },
  one: async () => { const f = validateFeeds(sess.signature, { x: new Tensor('float32', x, [batch, size]) }); const t = f['x']!; const o = await raw.run({ x: new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape) }).then((r) => { const y = r['y']!; return { y: new Tensor('float32', y.data as Float32Array, y.dims) }; }); return (o['y']!.data as Float32Array)[0]!; },
  hone: async () => { const f = validateFeeds(sess.signature, { x: new Tensor('float32', x, [batch, size]) }); const t = f['x']!; const o = await handler.run({ x: new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape) }, { y: null }, {}).then((r: any) => { const y = r['y']!; return { y: new Tensor('float32', y.data as Float32Array, y.dims) }; }); return (o['y']!.data as Float32Array)[0]!; },
  rawThen: async () => { const o = await raw.run({ x: new ort.Tensor('float32', x, [batch, size]) }).then((r) => ({ y: new Tensor('float32', r['y']!.data as Float32Array, r['y']!.dims) })).then((r) => r); return (o['y']!.data as Float32Array)[0]!; },
};
const perBlock = 20;
async function block(fn: () => Promise<number>) { const s = performance.now(); for (let i = 0; i < perBlock; i++) await fn(); return ((performance.now() - s) / perBlock) * 1000; }
const names = Object.keys(fns);
const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let i = 0; i < 5; i++) for (const n of names) await block(fns[n]!);
for (let r = 0; r < Number(process.argv[2] ?? 200); r++) {
  const order = r % 2 ? names : [...names].reverse();
  for (const n of order) times[n]!.push(await block(fns[n]!));
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const ratios = (n: string) => med(times[n]!.map((t, i) => t / times.raw![i]!));
for (const n of names) console.log(n.padEnd(8), med(times[n]!).toFixed(1), 'µs', 'ratio', ratios(n).toFixed(3));
await model.dispose(); await raw.release();
