/**
 * Whether a WebGPU adapter is a CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP)
 * rather than a GPU: such an adapter runs models slower than the CPU or WASM path, so
 * `'gpu'` refuses it in Node and `'auto'` passes it over in browsers. One rule for both
 * backends that ask (onnx-node through Dawn or the Vulkan driver manifests, onnx-web
 * through `navigator.gpu`).
 * @module
 */

/** Names software adapters and drivers go by (vendor, architecture, description or driver file). */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|lvp|warp|microsoft basic render/i;

/** What is known of an adapter: `GPUAdapterInfo`'s fields, or a driver's name. */
export interface AdapterFacts {
  readonly vendor?: string | undefined;
  readonly architecture?: string | undefined;
  readonly device?: string | undefined;
  readonly description?: string | undefined;
  /** `GPUAdapterInfo.isFallbackAdapter` (Chromium 121+, Dawn), or the older `GPUAdapter.isFallbackAdapter`. */
  readonly isFallbackAdapter?: boolean | undefined;
}

/** True for an adapter that says it is a fallback, or whose names are those of a software renderer. */
export function isSoftwareAdapter(facts: AdapterFacts): boolean {
  if (facts.isFallbackAdapter === true) return true;
  return SOFTWARE.test([facts.vendor, facts.architecture, facts.device, facts.description].filter((s) => typeof s === 'string').join(' '));
}
