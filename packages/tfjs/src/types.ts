/**
 * Public types of `@inproc/tfjs`: devices, `backendOptions`, in-memory weights and
 * model artifacts. They are written out here, not taken from `@tensorflow/tfjs`, so that
 * the package's declarations type-check where no TF.js package is installed.
 * @module
 */

/**
 * Devices of the tfjs backend (`LoadOptions.device`), each backed by one TF.js engine:
 *
 * | device | engine (TF.js backend) | package |
 * |---|---|---|
 * | `cuda` | `tensorflow` (libtensorflow, GPU build) | `@tensorflow/tfjs-node-gpu` |
 * | `cpu` | `tensorflow` (libtensorflow) when installed, else `cpu` (plain JS) | `@tensorflow/tfjs-node`, else `@tensorflow/tfjs` |
 * | `webgpu` | `webgpu` | `@tensorflow/tfjs-backend-webgpu` |
 * | `webgl` | `webgl` | `@tensorflow/tfjs` (browsers) |
 * | `wasm` | `wasm` | `@tensorflow/tfjs-backend-wasm` |
 */
export type TfjsDevice = 'cuda' | 'cpu' | 'webgpu' | 'webgl' | 'wasm';

/** Every device, fastest first: the order `device: 'auto'` tries them in. */
export const TFJS_DEVICES: readonly TfjsDevice[] = ['cuda', 'cpu', 'webgpu', 'webgl', 'wasm'];

/**
 * A TF.js engine: `tensorflow-gpu` and `tensorflow` are the native bindings
 * (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`), the others the TF.js backends
 * of the same name.
 */
export type TfjsEngine = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Bytes of one weight file. */
export type WeightBuffer = Uint8Array | ArrayBuffer;

/**
 * Weights handed over in memory (`backendOptions.weights`) instead of files beside the
 * `model.json`:
 * - one buffer: every shard of the manifest, concatenated in manifest order (what TF.js
 *   calls `weightData`);
 * - an array: the shards, one buffer per path, in manifest order;
 * - a record: shards by their path as written in `weightsManifest[].paths`.
 */
export type TfjsWeights = WeightBuffer | readonly WeightBuffer[] | Readonly<Record<string, WeightBuffer>>;

/** `LoadOptions.backendOptions` understood by the tfjs backend. Unknown keys are rejected. */
export interface TfjsBackendOptions {
  /** The weight shards, for a `model.json` given as bytes (see {@link fromArtifacts}). */
  readonly weights?: TfjsWeights;
  /**
   * Where the TF.js WASM binaries are served: a URL prefix ending in `/`, or a map from
   * binary name (`tfjs-backend-wasm.wasm`, `-simd`, `-threaded-simd`) to URL. Node finds them
   * in the installed `@tensorflow/tfjs-backend-wasm`; in a browser pass the URL your
   * bundler or server gives them (they are never fetched from a CDN). Applies to the first
   * initialisation of the wasm engine in the page or process.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /** Layers models: reject a weight file that does not match the topology exactly. Default `true`. */
  readonly strict?: boolean;
}

/** One weight in a manifest (`weightsManifest[].weights[]`). */
export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number; readonly original_dtype?: string };
  readonly group?: string;
}

/**
 * A TF.js model held in memory, as `tf.io.withSaveHandler` or a custom `IOHandler`
 * receives it from `model.save()` (structurally TF.js's `io.ModelArtifacts`, JSON topology).
 */
export interface TfjsModelArtifacts {
  readonly modelTopology?: object | ArrayBuffer;
  readonly weightSpecs?: readonly TfjsWeightSpec[];
  readonly weightData?: ArrayBuffer | readonly ArrayBuffer[];
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly signature?: object;
  readonly userDefinedMetadata?: Readonly<Record<string, unknown>>;
  readonly modelInitializer?: object;
  readonly initializerSignature?: object;
  readonly trainingConfig?: object;
}

/** What the process's TF.js engine is doing, from {@link tfjsEngineState}. */
export interface TfjsEngineState {
  /** The engine Inproc last activated, or `undefined` before the first load. */
  readonly engine: TfjsEngine | undefined;
  /** The TF.js backend now active (`tf.getBackend()`), which other code may have switched. */
  readonly tfBackend: string | undefined;
  /** Labels of the Inproc models that hold tensors on the engine. */
  readonly holders: readonly string[];
}
