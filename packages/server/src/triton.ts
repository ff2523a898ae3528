/**
 * What Triton's model configuration is made of, from an Inproc model version: its
 * signature, format and manifest (batching, concurrency as the instance count, the
 * device as the instance kind, the model file's name). `GET v2/models/{name}/config`
 * answers the JSON form and `inproc export triton` writes the `config.pbtxt` form, both
 * from `tritonConfig` (`@inproc/kserve/protocol`) of what this returns.
 * @module
 */
import type { Manifest, Signature } from '@inproc/core';
import type { InstanceKind, TritonModel } from '@inproc/kserve/protocol';

/** A loaded version, as far as its Triton configuration goes (a `ModelLease` is one). */
export interface TritonSource {
  readonly signature: Signature;
  readonly format: TritonModel['format'];
  readonly manifest: Manifest;
}

/**
 * The `TritonModel` of a version: `instances` and `kind` when given, else the manifest's
 * concurrency (1 when absent) and its device (`cpu`: KIND_CPU; `cuda`, `gpu`, `tensorrt`:
 * KIND_GPU; otherwise KIND_AUTO).
 */
export function tritonModelOf(name: string, source: TritonSource, versions: readonly number[], options: { instances?: number | undefined; kind?: InstanceKind | undefined } = {}): TritonModel {
  const { manifest } = source;
  const device = manifest.device ?? '';
  return {
    name,
    format: source.format,
    signature: source.signature,
    batching: manifest.batching,
    instances: options.instances ?? manifest.concurrency ?? 1,
    kind: options.kind ?? (device === 'cpu' ? 'KIND_CPU' : /^(cuda|gpu|tensorrt)$/.test(device) ? 'KIND_GPU' : 'KIND_AUTO'),
    versions,
    modelFile: manifest.model,
  };
}
