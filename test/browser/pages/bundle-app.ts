/** The smallest app that uses `inproc` in a browser: load a model from a URL and run it. */
import { Tensor, loadModel } from 'inproc';

const model = await loadModel(new URL('./model.onnx', location.href), { device: 'auto' });
const { y } = await model.run({ x: new Tensor('float32', new Float32Array(4), [1, 4]) });
document.body.textContent = `${model.device}: ${String(y?.shape)}`;
await model.dispose();
