/**
 * The page side of the browser harness (harness.ts): a page module calls
 * `exposeToHarness({ name: fn, ... })` once it is ready; the test then calls those
 * functions with `HarnessPage.call(name, ...args)`. Arguments and results cross the
 * boundary as JSON-like values (use plain arrays, not typed arrays).
 */

/** Functions a page offers to its test. */
export type HarnessApi = Record<string, (...args: never[]) => unknown>;

export function exposeToHarness(api: HarnessApi): void {
  (globalThis as unknown as { __inprocHarness: HarnessApi }).__inprocHarness = api;
}
