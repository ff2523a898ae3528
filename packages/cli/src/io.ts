/**
 * The CLI's view of its terminal: two output streams and the environment, injectable
 * for tests, and colours that appear only on a TTY (NO_COLOR and FORCE_COLOR respected,
 * as most command-line tools do).
 * @module
 */

/** A writable stream as far as the CLI needs one. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** Text styles; identity functions when colours are off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Whether `stream` gets colours: FORCE_COLOR (not 0) forces them, NO_COLOR or a non-TTY turns them off. */
export function colorsEnabled(stream: OutStream, env: Io['env']): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

function sgr(enabled: boolean, open: number, close: number): (text: string) => string {
  return enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

export function style(stream: OutStream, env: Io['env']): Style {
  const enabled = colorsEnabled(stream, env);
  return { enabled, bold: sgr(enabled, 1, 22), dim: sgr(enabled, 2, 22), red: sgr(enabled, 31, 39), green: sgr(enabled, 32, 39), yellow: sgr(enabled, 33, 39), cyan: sgr(enabled, 36, 39) };
}

/** Visible width of a string that may hold colour codes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
