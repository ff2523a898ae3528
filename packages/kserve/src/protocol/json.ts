/**
 * JSON parsing for protocol bodies. JavaScript numbers hold integers exactly only up
 * to 2^53, and INT64 / UINT64 tensor data may exceed that: a body holding an integer
 * of 16 or more digits is parsed with lossless-json (a well-kept parser that hands
 * each number's text to us), which turns unsafe integers into bigints. Every other
 * body takes the fast native `JSON.parse`.
 * @module
 */
import { type ErrorCode, InprocError } from '@inproc/core';
import { parse as parseLossless } from 'lossless-json';

/** An integer literal of 16+ digits that is not part of a fraction or exponent. */
const LONG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/;

function parseNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }
  return Number(text);
}

/** Parses JSON text; integers beyond 2^53 become bigints. Bad JSON throws `code` naming `where`. */
export function parseJson(text: string, where: string, code: ErrorCode): unknown {
  try {
    return LONG_INTEGER.test(text) ? parseLossless(text, null, parseNumber) : JSON.parse(text);
  } catch (error) {
    throw new InprocError(code, `${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
