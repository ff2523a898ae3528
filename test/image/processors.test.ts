/**
 * The image processors in a model: typed constructors and manifest specs give the same
 * tensors as the direct API, compose with `loadModel({ preprocess, postprocess })`, and
 * leave no resources behind.
 */
import { describe, expect, it } from 'vitest';
import { type Outputs, Tensor, createProcessor, listProcessors, loadModel, resources } from 'inproc';
import {
  imageDecode,
  imageNms,
  imagePreprocess,
  imageResize,
  imageTextBoxes,
  imageToTensor,
  imageToTensorProcessor,
  imageTransforms,
  type Detection,
  type TextBox,
} from '@inproc/image';
import { GraphBuilder } from '@inproc/testkit/onnx/builder';
import { IMAGENET_MEAN, IMAGENET_STD, rampImage, textMap } from './helpers.js';

const ctx = { signature: { inputs: [], outputs: [] }, signal: undefined };

/** `x` float32 [n, 3, h, w] -> `y` = Identity(x). */
function identityImageModel(): Uint8Array {
  const g = new GraphBuilder('image-identity');
  g.input('x', 'float32', ['n', 3, 'h', 'w']);
  g.node('Identity', ['x'], { outputs: ['y'] });
  g.output('y', 'float32', ['n', 3, 'h', 'w']);
  return g.build();
}

/** `map` float32 [1, 1, h, w] -> `prob` = Identity(map): stands in for a DB text detector. */
function identityMapModel(): Uint8Array {
  const g = new GraphBuilder('map-identity');
  g.input('map', 'float32', [1, 1, 'h', 'w']);
  g.node('Identity', ['map'], { outputs: ['prob'] });
  g.output('prob', 'float32', [1, 1, 'h', 'w']);
  return g.build();
}

describe('image processors', () => {
  const ramp = rampImage();
  const options = { width: 8, height: 4, fit: 'contain', padding: 114, mean: IMAGENET_MEAN, std: IMAGENET_STD } as const;

  it('are registered under their names', () => {
    const names = listProcessors().map((f) => f.name);
    for (const name of ['image.decode', 'image.resize', 'image.to-tensor', 'image.preprocess', 'image.detections', 'image.nms', 'image.text-boxes']) expect(names).toContain(name);
  });

  it('image.preprocess from code and from a manifest spec give the tensor imageToTensor gives', async () => {
    const direct = await imageToTensor(ramp, options);
    const fromCode = (await imagePreprocess(options).process(ramp, ctx)) as Tensor<'float32'>;
    const fromSpec = (await createProcessor({ name: 'image.preprocess', params: { ...options, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] } }).process(ramp, ctx)) as Tensor<'float32'>;
    expect([...fromCode.data]).toEqual([...direct.tensor.data]);
    expect([...fromSpec.data]).toEqual([...direct.tensor.data]);
    expect(imageTransforms(fromCode)).toEqual(direct.transforms);
  });

  it('decode -> resize -> resize -> to-tensor records the composed transform with the tensor', async () => {
    const decoded = await imageDecode().process(ramp, ctx);
    const resized = await imageResize({ width: 16, height: 4 }).process(decoded, ctx);
    const again = await imageResize({ width: 8, height: 8, fit: 'contain' }).process(resized, ctx);
    expect(again.transform).toMatchObject({ original: { width: 32, height: 8 }, scaleX: 0.25, scaleY: 0.25, offsetX: 0, offsetY: 3 });
    const feeds = await imageToTensorProcessor({ input: 'x', mean: 0.5, std: 0.5 }).process(again, ctx);
    expect(feeds.x.shape).toEqual([1, 3, 8, 8]);
    expect(imageTransforms(feeds.x)).toEqual([again.transform]);
  });

  it('feed a model: loadModel({ preprocess, postprocess }) with typed input and output', async () => {
    const before = resources();
    {
      await using model = await loadModel<Parameters<typeof imageToTensor>[0], Outputs>(identityImageModel(), { preprocess: imagePreprocess({ ...options, input: 'x' }) });
      const out = await model.run([ramp, ramp]);
      const direct = await imageToTensor([ramp, ramp], options);
      expect(out['y']!.shape).toEqual([2, 3, 4, 8]);
      expect([...(out['y']!.data as Float32Array)]).toEqual([...direct.tensor.data]);
    }
    {
      await using detector = await loadModel<Record<string, Tensor>, TextBox[]>(identityMapModel(), { postprocess: imageTextBoxes() });
      const { map, width, height } = textMap();
      const boxes = await detector.run({ map: new Tensor('float32', map, [1, 1, height, width]) });
      expect(boxes).toHaveLength(2);
    }
    expect(resources()).toEqual(before);
  });

  it('image.nms keeps the best box per class', async () => {
    const dets: Detection[] = [
      { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
      { box: [1, 1, 10, 10], score: 0.8, classId: 0 },
    ];
    expect(await imageNms({ iouThreshold: 0.5 }).process(dets, ctx)).toEqual([dets[0]]);
    expect(await createProcessor({ name: 'image.nms', params: { iouThreshold: 0.95 } }).process(dets, ctx)).toEqual(dets);
  });
});
