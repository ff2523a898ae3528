/**
 * `describeInChromium`: the vitest side of the browser harness (`@inproc/testkit/browser/harness`),
 * kept here so that the harness itself does not import vitest (benchmarks use it too).
 */
import { describe } from 'vitest';
import { chromiumSkipReason } from '@inproc/testkit/browser/harness';

/**
 * `describe` that runs only where Chromium is installed, and otherwise says clearly,
 * on the console, that and why it skipped.
 */
export function describeInChromium(name: string, body: () => void): void;
export function describeInChromium(name: string, options: { timeout?: number }, body: () => void): void;
export function describeInChromium(name: string, a: (() => void) | { timeout?: number }, b?: () => void): void {
  const reason = chromiumSkipReason();
  if (reason !== undefined) console.warn(`[browser tests] SKIPPED "${name}": ${reason}`);
  const [options, body] = typeof a === 'function' ? [{}, a] : [a, b!];
  describe.skipIf(reason !== undefined)(name, options, body);
}
