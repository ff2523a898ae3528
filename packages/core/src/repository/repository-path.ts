/**
 * Path safety for the model repository: model names, version numbers and the relative
 * file names a manifest may give are checked as text here, before anything touches the
 * file system or the network. Whatever could resolve outside the repository root (`..`,
 * absolute paths, drive letters, separators hidden by percent-encoding, NUL bytes) gets
 * `PATH_OUTSIDE_REPOSITORY`; the storage then re-checks the real path (symlinks).
 * Pure string code: browser-safe.
 * @module
 * @internal
 */
import { InprocError } from '../errors.js';
import { describe } from '../tensor.js';

/** Percent-escapes of `/`, `\`, `.`, `:` and NUL: a name carrying one is trying to smuggle a path. */
const ENCODED_PATH_CHAR = /%(2f|5c|2e|3a|00)/i;
/** `C:`, `c:\`, `C:/`: a Windows drive, which `path.resolve` would treat as absolute. */
const DRIVE = /^[a-zA-Z]:/;
/** Characters no name may hold on any common file system, plus control characters. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f<>:"|?*]/;
/** Canonical non-negative integers: version directories are `0`, `1`, `12`, never `01` or `1.0`. */
const VERSION_NAME = /^(0|[1-9][0-9]*)$/;

function outside(what: string, value: string, why: string, field?: string): InprocError {
  return new InprocError('PATH_OUTSIDE_REPOSITORY', `${what} ${JSON.stringify(value)} ${why}, which could resolve outside the repository root`, {
    details: field === undefined ? { value } : { value, field },
  });
}

/** Reasons a single path segment could escape its directory; undefined when it cannot. */
function escapeReason(segment: string): string | undefined {
  if (segment.includes('\0')) return 'contains a NUL byte';
  if (ENCODED_PATH_CHAR.test(segment)) return 'contains a percent-encoded separator or dot';
  if (segment === '..' || segment === '.') return `is "${segment}"`;
  if (segment.includes('/') || segment.includes('\\')) return 'contains a path separator';
  if (DRIVE.test(segment)) return 'starts with a drive letter';
  return undefined;
}

/**
 * Checks a model name: one directory below the root. Traversal forms throw
 * `PATH_OUTSIDE_REPOSITORY`; other unusable names (empty, hidden, control characters)
 * throw `INPUT_INVALID`.
 */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string') throw new InprocError('INPUT_INVALID', `a model name must be a string, got ${describe(name)}`);
  const reason = escapeReason(name);
  if (reason !== undefined) throw outside('model name', name, reason);
  if (name.length === 0) throw new InprocError('INPUT_INVALID', 'a model name must not be empty');
  if (name.length > 255) throw new InprocError('INPUT_INVALID', `a model name is at most 255 characters, got ${name.length}`);
  if (name.startsWith('.')) throw new InprocError('INPUT_INVALID', `model name ${JSON.stringify(name)}: names starting with "." are hidden (used for staging) and never served`);
  if (FORBIDDEN.test(name) || name.includes('%') || name.trim() !== name) {
    throw new InprocError('INPUT_INVALID', `model name ${JSON.stringify(name)} holds characters that are not allowed (control characters, < > : " | ? * %, or surrounding spaces)`);
  }
  return name;
}

/**
 * Checks a version given by a caller: a non-negative safe integer, or a string of
 * digits (as found in a URL). Path-like strings throw `PATH_OUTSIDE_REPOSITORY`.
 */
export function checkVersion(version: unknown): number {
  if (typeof version === 'number') {
    if (Number.isSafeInteger(version) && version >= 0) return version;
    throw new InprocError('INPUT_INVALID', `a version must be a non-negative integer, got ${describe(version)}`);
  }
  if (typeof version === 'string') {
    const reason = escapeReason(version) ?? (version.startsWith('/') ? 'is absolute' : undefined);
    if (reason !== undefined) throw outside('version', version, reason);
    if (VERSION_NAME.test(version) && Number.isSafeInteger(Number(version))) return Number(version);
    throw new InprocError('INPUT_INVALID', `a version must be a non-negative integer, got ${JSON.stringify(version)}`);
  }
  throw new InprocError('INPUT_INVALID', `a version must be a non-negative integer, got ${describe(version)}`);
}

/** The version a directory name stands for, or undefined when the directory is not a version (staging, hidden, other). */
export function parseVersionDirectory(entry: string): number | undefined {
  if (!VERSION_NAME.test(entry)) return undefined;
  const version = Number(entry);
  return Number.isSafeInteger(version) ? version : undefined;
}

/**
 * Checks a file name a manifest gives (`model`, `labels`, warm-up samples): relative to
 * the version directory, `/`-separated, without `.` or `..` segments. Throws
 * `PATH_OUTSIDE_REPOSITORY` naming the manifest field. Returns its segments.
 */
export function checkRelativeFile(file: string, field: string): readonly string[] {
  if (file.length === 0) throw new InprocError('MODEL_INVALID', `manifest field "${field}": a file name must not be empty`, { details: { field } });
  if (file.startsWith('/')) throw outside(`manifest field "${field}":`, file, 'is absolute', field);
  if (file.includes('\\')) throw outside(`manifest field "${field}":`, file, 'contains a backslash', field);
  const segments = file.split('/');
  for (const segment of segments) {
    if (segment === '') throw outside(`manifest field "${field}":`, file, 'has an empty segment', field);
    const reason = escapeReason(segment);
    if (reason !== undefined) throw outside(`manifest field "${field}":`, file, `has a segment that ${reason}`, field);
    if (FORBIDDEN.test(segment)) throw new InprocError('MODEL_INVALID', `manifest field "${field}": file name ${JSON.stringify(file)} holds characters that are not allowed`, { details: { field } });
  }
  return segments;
}

/** True when `child` is `parent` or lies below it (both absolute, normalised, same separator). */
export function isInside(parent: string, child: string, sep: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(sep) ? parent : parent + sep;
  return child.startsWith(prefix);
}
