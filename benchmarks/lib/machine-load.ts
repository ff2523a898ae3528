/**
 * How busy the rest of the machine was during a measurement: the CPU time every process
 * used (from /proc/stat, Linux) minus what the benchmark's own processes used, as a share
 * of the machine's CPU time over the same wall time. The load average cannot say this for a
 * benchmark that keeps a core busy itself (its own process counts 1 in it), and it lags by
 * minutes; this counts exactly the CPU that others took while the benchmark ran.
 * @module
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Busy jiffies (all CPUs: user, nice, system, irq, softirq, steal) and total jiffies from the first line of /proc/stat; undefined off Linux. */
function cpuJiffies(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

export interface OthersLoad {
  /** CPU seconds the whole machine spent busy during the measurement. */
  readonly machineCpuSeconds: number;
  /** CPU seconds of that which the benchmark's own processes used (as given to stop()). */
  readonly ownCpuSeconds: number;
  /** (machine − own) / (elapsed × cores): the share of the machine other work took, 0 when none. */
  readonly othersShare: number;
}

/**
 * Starts counting. `stop(ownCpuSeconds)` takes the CPU seconds the benchmark's own processes
 * used over the same span (their `process.cpuUsage()` at exit, summed) and says what the rest
 * of the machine used; undefined where /proc/stat cannot be read.
 */
export function othersLoadMeter(): { stop(ownCpuSeconds: number): OthersLoad | undefined } {
  const start = cpuJiffies();
  return {
    stop(ownCpuSeconds) {
      const end = cpuJiffies();
      if (start === undefined || end === undefined || end.total <= start.total) return undefined;
      const cores = availableParallelism();
      // /proc/stat counts in USER_HZ ticks (100 a second on Linux), summed over CPUs.
      const elapsedTicks = end.total - start.total;
      const machineCpuSeconds = (end.busy - start.busy) / 100;
      const elapsedSeconds = elapsedTicks / 100 / cores;
      const othersShare = Math.max(0, (machineCpuSeconds - ownCpuSeconds) / (elapsedSeconds * cores));
      return { machineCpuSeconds, ownCpuSeconds, othersShare };
    },
  };
}
