import { describe, expect, it } from 'vitest';
import { DTYPES, isDType } from '@inproc/core';

describe('isDType', () => {
  it('is true for exactly the dtypes of DTYPES', () => {
    expect(DTYPES).toHaveLength(13);
    for (const dtype of DTYPES) expect(isDType(dtype)).toBe(true);
    for (const other of ['float', 'Float32', 'int', 'complex64', 'bfloat16', '', 'constructor', '__proto__', 'toString', 32, null, undefined, {}, ['float32']]) {
      expect(isDType(other)).toBe(false);
    }
  });
});
