/**
 * Everything @inproc/image exports, shared by the Node and browser entries (which
 * differ only in the platform they install).
 * @module
 */
export type * from './types.js';
export { sniffImageFormat } from './sniff.js';
export { decodeImage, resizeImage, imageToTensor, imageTransforms, type ImageBatch } from './image-tensor.js';
export { identityTransform, composeTransforms, toOriginalPoint, toTensorPoint, toOriginalBox, toOriginalQuad, convertBox, type ToOriginalOptions } from './geometry.js';
export { cropImage, rotateImage, cropQuad, type QuadCropOptions } from './raw-image.js';
export { iou, nonMaxSuppression, nonMaxSuppressionIndices, decodeDetections, decodeAnchorBoxes, type NmsOptions, type DecodeDetectionsOptions, type AnchorDecodeOptions } from './boxes.js';
export {
  thresholdMask,
  connectedComponents,
  findContours,
  convexHull,
  minAreaRect,
  orderQuad,
  polygonArea,
  polygonPerimeter,
  expandPolygon,
  unclip,
  meanInPolygon,
  textBoxesFromProbabilityMap,
  type Component,
  type Components,
  type Contour,
  type ContourOptions,
  type RotatedRect,
  type TextBox,
  type TextBoxOptions,
} from './contours.js';
export {
  imageDecode,
  imageResize,
  imageToTensorProcessor,
  imagePreprocess,
  imageDetections,
  imageNms,
  imageTextBoxes,
  imageProcessorFactories,
  registerImageProcessors,
  type TensorOrFeeds,
} from './processors.js';
