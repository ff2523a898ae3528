// The browser program of the consumer check (check.ts): what a bundled page does, type-checked
// in a project without Node types, where `inproc` resolves to its browser entry (onnx-web).
import { InprocError, Tensor, configureOnnxWeb, loadModel, resources, typedModel } from 'inproc';

configureOnnxWeb({ numThreads: 1 });
const model = await loadModel(new URL('./silero_vad_v5.onnx', import.meta.url).href, { device: 'auto' });
try {
  const vad = typedModel(model, { inputs: { input: 'float32', state: 'float32', sr: 'int64' }, outputs: { output: 'float32', stateN: 'float32' } });
  const { output, stateN } = await vad.run({
    input: new Tensor('float32', new Float32Array(512), [1, 512]),
    state: new Tensor('float32', new Float32Array(256), [2, 1, 128]),
    sr: new Tensor('int64', [16000n], []),
  });
  const probability: number | undefined = output.dataAs('float32')[0];
  document.body.textContent = `${model.device}: ${probability ?? '?'} (${stateN.shape.join('x')})`;
} catch (error) {
  document.body.textContent = error instanceof InprocError ? `${error.code}: ${error.message}` : String(error);
} finally {
  await model.dispose();
  console.log(resources());
}
