/**
 * One benchmark case, the same in Node and in the page: load, measure (lib/measure.ts),
 * dispose, and check that `resources()` is back to zero. Device-unavailable errors make a
 * skipped case (with the reason), anything else a failed one; both are results, so one
 * case never hides the others.
 */
import { InprocError, Tensor, resources, type Model, type ResourceCounts } from 'inproc';
import { measureLoaded, type Measurement, type SamplingPlan } from '../lib/measure.js';
import { makeFeeds, type ModelSpec } from './models.js';

/** Memory figures; which exist depends on where the case ran. */
export interface MemoryFigures {
  /** Node: resident set size before the load, bytes. */
  readonly rssBefore?: number;
  /** Node: peak resident set size of the (fresh) process, bytes. */
  readonly peakRss?: number;
  /** Chromium: JS heap in use after the runs (performance.memory), bytes. */
  readonly jsHeap?: number;
}

export type CaseOutcome =
  | ({ readonly status: 'ok'; readonly device: string; readonly adapter?: string; readonly memory: MemoryFigures; readonly resourcesAfterDispose: ResourceCounts } & Measurement)
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string };

const UNAVAILABLE = new Set(['DEVICE_UNAVAILABLE', 'BACKEND_UNAVAILABLE']);

function describeError(error: unknown): string {
  if (InprocError.is(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export async function runCase(options: {
  readonly spec: ModelSpec;
  readonly load: () => Promise<Model>;
  readonly plan: SamplingPlan;
  readonly memory: () => MemoryFigures;
}): Promise<CaseOutcome> {
  let model: Model;
  const start = performance.now();
  try {
    model = await options.load();
  } catch (error) {
    if (InprocError.is(error) && UNAVAILABLE.has(error.code)) return { status: 'skipped', reason: describeError(error) };
    return { status: 'failed', error: `load: ${describeError(error)}` };
  }
  const loadMs = performance.now() - start;
  try {
    // Inputs are generated once; each run wraps them in fresh Tensors (cheap, no copy).
    const feeds = makeFeeds(options.spec);
    const output = model.signature.outputs[0]!.name;
    const run = async (): Promise<ArrayLike<number | bigint>> => {
      const fresh: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) fresh[name] = new Tensor(t.dtype, t.data, t.shape);
      const out = await model.run(fresh, { outputs: [output] });
      const data = out[output]!.data as ArrayLike<number | bigint>;
      for (const t of Object.values(out)) t.dispose();
      return data;
    };
    const measurement = await measureLoaded(loadMs, { run, plan: options.plan });
    const memory = options.memory();
    const device = model.device;
    // A GPU row names its adapter (onnx-node webgpu: metadata.adapter).
    const info = model.metadata['adapter'] as { description?: string; software?: boolean } | undefined;
    const adapter = info?.description === undefined ? undefined : `${info.description}${info.software === true ? ', software' : ''}`;
    await model.dispose();
    return { status: 'ok', device, ...(adapter === undefined ? {} : { adapter }), memory, resourcesAfterDispose: resources(), ...measurement };
  } catch (error) {
    await model.dispose().catch(() => undefined);
    return { status: 'failed', error: `run: ${describeError(error)}` };
  }
}
