/**
 * Reading a WAV file from a path (Node only: `node:fs` is imported when called, so
 * browser bundles of this package do not pull it in).
 * @module
 */
import { InprocError } from '@inproc/core';
import type { DecodedWav } from './types.js';
import { decodeWav } from './wav.js';

/**
 * Reads and decodes a WAV file, mixed down to mono.
 * @throws InprocError `INPUT_INVALID` for a missing or unreadable file and as {@link decodeWav}
 */
export async function readWav(path: string): Promise<DecodedWav> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InprocError('INPUT_INVALID', `readWav: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return decodeWav(bytes);
}
