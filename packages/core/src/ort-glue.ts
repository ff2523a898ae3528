/**
 * What the two onnxruntime backends share. `@inproc/onnx-node` and `@inproc/onnx-web`
 * must not depend on each other, and both depend on core, so their common glue lives
 * here, typed structurally (core imports no onnxruntime package): ORT value metadata to
 * a {@link TensorInfo}, and the device-fallback loop that opens a session on the first
 * device that takes the model and tells a model's fault from a device's.
 * @module
 */
import { throwIfAborted } from './call-signal.js';
import { isDType } from './dtype.js';
import { InprocError, firstLine } from './errors.js';
import type { ModelSource } from './backend.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import type { Dim, Signature, TensorInfo } from './signature.js';

/** The fields of onnxruntime's `InferenceSession.ValueMetadata` (common, node and web) that Inproc reads. */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/**
 * An input or output of an ORT session as a {@link TensorInfo}. Unnamed dynamic
 * dimensions come back as `''` or a negative number in Node and as -1 read as uint32
 * (4294967295) in browsers: all are `null`.
 * @throws InprocError `MODEL_INVALID` for sequences, maps and element types Inproc has no dtype for
 */
export function ortTensorInfo(meta: OrtValueMetadata, source: string, kind: 'input' | 'output'): TensorInfo {
  if (!meta.isTensor) throw new InprocError('MODEL_INVALID', `${source}: ${kind} "${meta.name}" is not a tensor (sequences and maps are not supported)`);
  const type = meta.type ?? 'unknown';
  if (!isDType(type)) throw new InprocError('MODEL_INVALID', `${source}: ${kind} "${meta.name}" has element type ${type}, which Inproc does not support`);
  const shape: Dim[] = (meta.shape ?? []).map((d) => (typeof d === 'number' ? (d >= 0 && d < 0xffffffff ? d : null) : d === '' ? null : d));
  return { name: meta.name, dtype: type, shape };
}

/** The parts of an ORT `InferenceSession` that {@link ortSessionInfo} reads. */
export interface OrtSessionLike {
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
}

/**
 * A session's signature, and its metadata: the model's ONNX facts (producer, opsets,
 * ...) and the devices `'auto'` passed over on the way to this one (`fallbacks`).
 */
export function ortSessionInfo(session: OrtSessionLike, source: ModelSource, fallbacks: readonly string[]): { signature: Signature; metadata: Readonly<Record<string, unknown>> } {
  const signature = {
    inputs: session.inputMetadata.map((m) => ortTensorInfo(m, source.name, 'input')),
    outputs: session.outputMetadata.map((m) => ortTensorInfo(m, source.name, 'output')),
  };
  return { signature, metadata: { ...(readOnnxMetadata(source.bytes) ?? {}), ...(fallbacks.length > 0 ? { fallbacks } : {}) } };
}

/** How {@link openOnDevices} opens a session. */
export interface DeviceAttempts<S> {
  /** The runtime, for messages: `onnxruntime`, `onnxruntime-web`. */
  readonly runtime: string;
  /** The model, for messages. */
  readonly source: string;
  /** Devices to try, in order. */
  readonly devices: readonly string[];
  /** The device that takes any valid model (`cpu`, `wasm`): the last resort of `'auto'`, and the judge of whether a failure was the model's fault. */
  readonly fallback: string;
  /** Devices passed over before trying (`'gpu'`: a software adapter), listed with the failures. */
  readonly skipped?: readonly string[];
  readonly signal?: AbortSignal | undefined;
  /** Opens a session on a device; `probe`: only to learn whether the model loads at all (use the device's default settings). */
  create(device: string, probe: boolean): Promise<S>;
  release(session: S): Promise<void>;
  /** An error no other device can fix (the runtime did not start): thrown as returned, at once. */
  fatal?(error: unknown): InprocError | undefined;
}

/**
 * Opens a session on the first device that takes the model. When the devices end with
 * the fallback (`'auto'`), a failing accelerator is skipped and listed in `failures`.
 * When one accelerator was asked for and fails, the fallback device is asked whether it
 * loads the model: if so the device is at fault (`DEVICE_UNAVAILABLE`), else the model
 * (`MODEL_INVALID`).
 */
export async function openOnDevices<S>(attempts: DeviceAttempts<S>): Promise<{ session: S; device: string; failures: readonly string[] }> {
  const { runtime, source, devices, fallback } = attempts;
  const invalid = (error: unknown): InprocError => new InprocError('MODEL_INVALID', `${source}: ${runtime} could not load the model: ${firstLine(error)}`, { cause: error });
  const failures: string[] = [...(attempts.skipped ?? [])];
  for (const device of devices) {
    throwIfAborted(attempts.signal, 'the load');
    try {
      return { session: await attempts.create(device, false), device, failures };
    } catch (error) {
      const fatal = attempts.fatal?.(error);
      if (fatal !== undefined) throw fatal;
      failures.push(`${device}: ${firstLine(error)}`);
      if (device === fallback) throw invalid(error);
      if (device !== devices.at(-1)) continue; // 'auto' falls back; 'gpu' tries the next accelerator
      // The last accelerator failed: the model's fault or the device's? Ask the fallback device.
      const probe = await attempts.create(fallback, true).catch(() => undefined);
      if (probe === undefined) throw invalid(error);
      await attempts.release(probe);
      const message = failures.length > 1 ? `no device could load the model; tried:\n  ${failures.join('\n  ')}` : `the ${device} execution provider failed: ${firstLine(error)}`;
      throw new InprocError('DEVICE_UNAVAILABLE', `${source}: ${message}`, { cause: error });
    }
  }
  throw new InprocError('MODEL_INVALID', `${source}: ${runtime} could not load the model:\n  ${failures.join('\n  ')}`);
}

/**
 * An ORT value's data as core storage. onnxruntime-common hands float16 back as a
 * `Float16Array` where the runtime has one (Node 24+, recent browsers); core keeps float16
 * as its raw bits in a `Uint16Array`, so such data is viewed (not copied) as bits. Every
 * other type is returned as is.
 */
export function ortStorage<D>(dtype: string, data: D): D {
  if (dtype === 'float16' && ArrayBuffer.isView(data) && !(data instanceof Uint16Array)) {
    return new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) as D;
  }
  return data;
}
