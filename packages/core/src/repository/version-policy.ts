/**
 * Version policies (Triton's `version_policy`): which of a model's complete versions are
 * served — the latest N, all, or specific numbers — and their validation.
 * @module
 */
import { InprocError } from '../errors.js';
import type { VersionPolicy } from './repository-types.js';
import { describe } from '../tensor.js';

/** The default: the newest version only. */
export const DEFAULT_VERSION_POLICY: VersionPolicy = Object.freeze({ latest: 1 });

/** Checks a policy given in options. @throws InprocError `INPUT_INVALID` */
export function checkVersionPolicy(policy: unknown, field: string): VersionPolicy {
  const bad = (): never => {
    throw new InprocError('INPUT_INVALID', `${field} must be { latest: N } (N >= 1), { all: true } or { specific: [versions] }, got ${describe(policy)}`);
  };
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return bad();
  const keys = Object.keys(policy);
  if (keys.length !== 1) return bad();
  const p = policy as Record<string, unknown>;
  if ('latest' in p) {
    const n = p['latest'];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return bad();
    return { latest: n };
  }
  if ('all' in p) return p['all'] === true ? { all: true } : bad();
  if ('specific' in p) {
    const list = p['specific'];
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) return bad();
    return { specific: [...new Set(list as number[])].sort((a, b) => a - b) };
  }
  return bad();
}

/** The versions a policy serves out of the complete ones (`available`, ascending). */
export function servedVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  if ('latest' in policy) return available.slice(Math.max(0, available.length - policy.latest));
  if ('all' in policy) return [...available];
  const wanted = new Set(policy.specific);
  return available.filter((v) => wanted.has(v));
}

/** One line describing a policy, for messages. */
export function describePolicy(policy: VersionPolicy): string {
  if ('latest' in policy) return `latest ${policy.latest}`;
  if ('all' in policy) return 'all';
  return `specific [${policy.specific.join(', ')}]`;
}
