// (b) With raw onnxruntime-node: the same work as run-inproc.mjs. `node run-ort.mjs mlp|silero <model.onnx>`
const [kind, path] = process.argv.slice(2);
const t0 = performance.now();
const ort = await import('onnxruntime-node');
const t1 = performance.now();
const session = await ort.InferenceSession.create(path);
const t2 = performance.now();
const feeds =
  kind === 'mlp'
    ? { x: new ort.Tensor('float32', new Float32Array(256).fill(0.5), [1, 256]) }
    : { input: new ort.Tensor('float32', new Float32Array(512).fill(0.01), [1, 512]), state: new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]), sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(16000)]), []) };
const out = await session.run(feeds);
const t3 = performance.now();
const first = Object.values(out)[0].data[0];
await session.release();
const t4 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, runMs: t3 - t2, disposeMs: t4 - t3, first: Number(first) }));
