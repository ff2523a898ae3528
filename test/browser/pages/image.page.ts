/**
 * The page the @inproc/image browser test drives (built with Vite, so `@inproc/image`
 * resolves to its browser entry: createImageBitmap + OffscreenCanvas, no sharp, no
 * node:* modules). Each function returns plain JSON for comparison with Node.
 */
import { InprocError } from '@inproc/core';
import { decodeImage, imageToTensor, nonMaxSuppression, textBoxesFromProbabilityMap, findContours, type PreprocessOptions } from '@inproc/image';
import { textMap } from '../../image/helpers.js';
import { exposeToHarness } from '@inproc/testkit/browser/page-api';

async function bytes(url: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

exposeToHarness({
  async toTensor(url: string, options: PreprocessOptions, as: 'bytes' | 'blob' | 'url' | 'bitmap') {
    const data = await bytes(url);
    const source = as === 'bytes' ? data : as === 'blob' ? new Blob([data as Uint8Array<ArrayBuffer>]) : as === 'url' ? url : await createImageBitmap(new Blob([data as Uint8Array<ArrayBuffer>]));
    const { tensor, transforms } = await imageToTensor(source, options);
    return { shape: tensor.shape, data: [...tensor.data], transforms };
  },
  async decode(url: string, orientation: 'auto' | 'none') {
    const image = await decodeImage(await bytes(url), { orientation });
    return { width: image.width, height: image.height, channels: image.channels, data: [...image.data] };
  },
  async failure(kind: string) {
    const inputs: Record<string, () => Promise<unknown>> = {
      empty: () => decodeImage(new Uint8Array(0)),
      unknown: () => decodeImage(new TextEncoder().encode('hello, this is not an image')),
      corrupt: async () => decodeImage(await bytes('/corrupt.jpg')),
      zero: async () => decodeImage(await bytes('/zero.png')),
      missing: () => decodeImage('/no-such-image.png'),
      // Untyped callers (manifests, JavaScript) reach the run-time check: the type rejects it.
      badOption: () => imageToTensor(new ImageData(2, 2), { fit: 'contain' } as never),
    };
    try {
      await inputs[kind]!();
    } catch (error) {
      return InprocError.is(error) ? { code: error.code, reason: error.details?.['reason'] } : { code: `not an InprocError: ${String(error)}` };
    }
    return { code: 'resolved' };
  },
  postprocess() {
    const { map, width, height } = textMap();
    return {
      boxes: textBoxesFromProbabilityMap(map, width, height),
      contours: findContours(Uint8Array.from(map, (v) => (v > 0.3 ? 1 : 0)), width, height).map((c) => c.points),
      nms: nonMaxSuppression(
        [
          { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
          { box: [1, 1, 11, 11], score: 0.8, classId: 0 },
          { box: [0, 0, 10, 10], score: 0.7, classId: 1 },
        ],
        { iouThreshold: 0.5 },
      ),
    };
  },
});
