/**
 * Measures how late the event loop runs its callbacks while work goes on: the number a
 * server embedding a model cares about (a synchronous 20 ms inference delays every
 * other request by 20 ms). Node: `perf_hooks.monitorEventLoopDelay`; elsewhere: a 1 ms
 * timer whose lateness is sampled.
 * @module
 */
import { Histogram } from './histogram.js';
import { isNode, nodeImport } from '../platform.js';

/** Event-loop delay over the measured interval, in milliseconds. */
export interface EventLoopDelay {
  readonly samples: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** A running measurement; `stop()` ends it and returns the figures. */
export interface EventLoopMonitor {
  stop(): EventLoopDelay;
}

interface NodeHistogram {
  enable(): void;
  disable(): void;
  percentile(p: number): number;
  readonly mean: number;
  readonly max: number;
  readonly count?: number;
}

/** Starts measuring event-loop delay. */
export async function monitorEventLoop(): Promise<EventLoopMonitor> {
  if (isNode()) {
    const perf = await nodeImport<{ monitorEventLoopDelay(o: { resolution: number }): NodeHistogram }>('perf_hooks');
    const h = perf.monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    return {
      stop() {
        h.disable();
        const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
        return { samples: h.count ?? 0, mean: ms(h.mean), p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max) };
      },
    };
  }
  const h = new Histogram();
  let expected = performance.now() + 1;
  let timer: ReturnType<typeof setTimeout>;
  const tick = (): void => {
    const now = performance.now();
    h.record(Math.max(0, now - expected) / 1e3);
    expected = now + 1;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop() {
      clearTimeout(timer);
      const s = h.summary();
      return { samples: s.count, mean: s.mean * 1e3, p50: s.p50 * 1e3, p90: s.p90 * 1e3, p99: s.p99 * 1e3, max: s.max * 1e3 };
    },
  };
}
