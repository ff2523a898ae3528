/**
 * Small helpers for wrapping errors from TF.js into `InprocError` messages.
 * @module
 * @internal
 */

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return String(error);
}

/** Its first line, for one-line messages (TF.js errors can carry long explanations). */
export function firstLine(error: unknown): string {
  return messageOf(error).split('\n')[0]!.trim();
}
