/**
 * The public types of @inproc/image: image sources, decoded pixels, resize and tensor
 * options, and the geometry record that maps tensor coordinates back to the image.
 * Implementations live elsewhere; this file is the package's API at a glance.
 * @module
 */
import type { Tensor } from '@inproc/core';

/** Encoded formats recognised from their first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'heif' | 'tiff' | 'svg' | 'bmp';

/**
 * Decoded pixels, 8 bits per channel, row-major, channels interleaved: 1 (grey),
 * 3 (RGB) or 4 (RGBA). Produced by {@link decodeImage} and accepted everywhere a
 * source is.
 */
export interface RawImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
}

/** `ImageData` and look-alikes: RGBA pixels without a channel count. */
export interface ImageDataLike {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * The instance type of the DOM class `K` where the DOM library is loaded, `never` where it
 * is not: a Node project without `lib: ["dom"]` compiles these declarations too.
 */
export type DomInstance<K extends string> = typeof globalThis extends Record<K, { prototype: infer T }> ? T : never;

/** What the browser can draw: `<img>`, `<canvas>`, `ImageBitmap`, `OffscreenCanvas`, `VideoFrame`, `<video>`. */
export type DrawableImage =
  | DomInstance<'ImageBitmap'>
  | DomInstance<'HTMLImageElement'>
  | DomInstance<'HTMLCanvasElement'>
  | DomInstance<'OffscreenCanvas'>
  | DomInstance<'HTMLVideoElement'>
  | DomInstance<'VideoFrame'>;

/**
 * Anything an image can come from. In Node: a file path or `file:` URL, encoded bytes,
 * a `Blob`, or pixels. In browsers: an `http(s):` URL (fetched), encoded bytes, a
 * `Blob`/`File`, pixels, or a drawable element.
 */
export type ImageSource = string | URL | Uint8Array | ArrayBuffer | Blob | RawImage | ImageDataLike | DrawableImage;

/**
 * How the image is fitted to the target size.
 * - `fill`: stretched to `width` x `height` (aspect ratio not kept).
 * - `contain`: scaled to fit inside, the rest padded with `padding` (letterbox).
 * - `cover`: scaled to cover, the overflow cropped.
 * - `shortest-edge` / `longest-edge`: that edge becomes `size`, aspect ratio kept.
 * - `none`: no resize.
 */
export type Fit = 'fill' | 'contain' | 'cover' | 'shortest-edge' | 'longest-edge' | 'none';

/** Resampling kernel. `linear` is the bilinear filter most model preprocessors use. */
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** A rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Geometry options every fit takes. Defaults: `kernel: 'linear'`, `position: 'center'`, `padding: 0`. */
export interface ResizeCommonOptions {
  /** With `shortest-edge` / `longest-edge`: `false` only ever shrinks. Default true. */
  readonly upscale?: boolean;
  /** Round each output side to a multiple of this (at least one multiple), e.g. 32 for detectors. */
  readonly multipleOf?: number;
  /** Where `contain` places the image and where `cover` crops: centred or at the top-left corner. */
  readonly position?: 'center' | 'top-left';
  /** Pixel value (0-255, one or one per output channel) of the area `contain` pads; normalised like the pixels. */
  readonly padding?: number | readonly number[];
  readonly kernel?: Kernel;
  /** A region of the (oriented) original to use, before resizing. */
  readonly crop?: Rect;
  /** A centred crop of the resized image (`fill`, `shortest-edge`, `longest-edge`, `none`), padded where larger. */
  readonly centerCrop?: { readonly width: number; readonly height: number };
}

/** `fill`, `contain`, `cover` (the default when `width` and `height` are given): a `width` x `height` box. */
export interface FitToBox {
  readonly fit?: 'fill' | 'contain' | 'cover';
  readonly width: number;
  readonly height: number;
  readonly size?: undefined;
}

/** `shortest-edge` (the default when only `size` is given) or `longest-edge`: that edge becomes `size`. */
export interface FitToEdge {
  readonly fit?: 'shortest-edge' | 'longest-edge';
  /** Length of the fitted edge. */
  readonly size: number;
  readonly width?: undefined;
  readonly height?: undefined;
}

/** `none` (the default without sizes): no resize. */
export interface FitNone {
  readonly fit?: 'none';
  readonly width?: undefined;
  readonly height?: undefined;
  readonly size?: undefined;
}

/**
 * Geometry options. The fit says which sizes it needs, and the type requires them:
 * `{ fit: 'longest-edge' }` without `size` does not compile (and is `INPUT_INVALID` at run
 * time for untyped callers, such as manifests).
 */
export type ResizeOptions = ResizeCommonOptions & (FitToBox | FitToEdge | FitNone);

/** Element layout of the tensor: channels first (`nchw`) or last (`nhwc`). */
export type Layout = 'nchw' | 'nhwc';

/** Element types an image tensor can have. */
export type ImageDType = 'float32' | 'uint8' | 'int32';

/** Pixel-to-tensor options. Defaults: `nchw`, `float32`, `rgb`, rescale 1/255 (floats), mean 0, std 1. */
export interface TensorOptions {
  readonly layout?: Layout;
  readonly dtype?: ImageDType;
  readonly channelOrder?: 'rgb' | 'bgr';
  /** One channel of luma (BT.601 weights 0.299, 0.587, 0.114) instead of three colours. */
  readonly grayscale?: boolean;
  /** Multiplies pixel values (0-255) first; default 1/255 for float32 and 1 for integer dtypes. */
  readonly rescale?: number;
  /** Subtracted after rescaling: one value or one per output channel, in output channel order. */
  readonly mean?: number | readonly number[];
  /** Divides after subtracting the mean: one value or one per output channel. */
  readonly std?: number | readonly number[];
  /** Leading batch dimension; default true (`[1, 3, H, W]`). A batch of several images always has one. */
  readonly batchDim?: boolean;
}

/** Everything {@link imageToTensor} does in one go. */
export type PreprocessOptions = ResizeOptions &
  TensorOptions & {
    /** `auto` (default) applies EXIF orientation; `none` keeps the stored pixel order. */
    readonly orientation?: 'auto' | 'none';
  };

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** `auto` (default) applies EXIF orientation. */
  readonly orientation?: 'auto' | 'none';
  /** 3 (RGB, default), 4 (RGBA) or 1 (BT.601 grey). */
  readonly channels?: 1 | 3 | 4;
}

/**
 * Where one image's pixels ended up in a tensor: `tensor = original * scale + offset`
 * per axis, in pixels of the (oriented) original. Letterbox padding gives a positive
 * offset, cover cropping a negative one.
 */
export interface ImageTransform {
  /** Size of the oriented original image. */
  readonly original: { readonly width: number; readonly height: number };
  /** Size of the image area of the tensor (its H and W). */
  readonly size: { readonly width: number; readonly height: number };
  readonly scaleX: number;
  readonly scaleY: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/** A tensor made from images, with the geometry of each image. */
export interface ImageTensor<D extends ImageDType = ImageDType> {
  readonly tensor: Tensor<D>;
  /** One per image, in batch order. */
  readonly transforms: readonly ImageTransform[];
}

/** A decoded image with the geometry that produced it from its source. */
export interface TransformedImage extends RawImage {
  readonly transform: ImageTransform;
}

/** Axis-aligned box formats. */
export type BoxFormat = 'xyxy' | 'xywh' | 'cxcywh';

/** An axis-aligned box `[x1, y1, x2, y2]` unless a format says otherwise. */
export type Box = readonly [number, number, number, number];

/** A point `[x, y]`. */
export type Point = readonly [number, number];

/** Four corners: top-left, top-right, bottom-right, bottom-left (clockwise in image coordinates). */
export type Quad = readonly [Point, Point, Point, Point];

/** One detected object. */
export interface Detection {
  /** `[x1, y1, x2, y2]`. */
  readonly box: Box;
  readonly score: number;
  /** Class index; absent for class-agnostic detectors. */
  readonly classId?: number;
  /** Class name, when labels were given. */
  readonly label?: string;
}
