/**
 * FP32 tensor data as JSON text: each element printed as the shortest decimal that reads
 * back as the same float32 (at most 9 significant digits), written straight into a byte
 * buffer with no string or object per element.
 *
 * Printing a float32 as the double it widens to (what `JSON.stringify` of its number
 * does) takes ~17 digits: 0.1f is 0.10000000149011612. The shortest float32 text
 * ("0.1") is half the bytes and parses faster at the other end; it is what numpy's
 * `repr(np.float32(x))` prints. No well-kept npm package prints float32 shortest
 * text (JavaScript's own printer works on doubles, and `toPrecision` in a loop costs
 * a string per try: 3x slower than `JSON.stringify`), hence this one.
 *
 * The fast path, for 1e-13 <= |x| < 1e23 (ML data), works in doubles: `x` scaled to
 * [1e8, 1e9) and the interval of decimals that round to it (half an ulp of float32 on
 * each side, a quarter below a power of two) are computed with an error below 2e-7 in
 * those units, while the interval is at least 3 units wide; the fewest digits whose
 * multiple lies inside is the answer, the one nearest `x` among them. A candidate
 * within {@link EPSILON} of an end (where rounding could decide) is never taken, and
 * every answer is checked: `Math.fround(D * 10^q) === x` (one correctly rounded double
 * operation, exactly what a reader's `parseFloat` of the text computes). Anything else
 * takes the slow path: for k = 1..9, the k-digit decimals either side of `x` (from
 * `toExponential`) until one reads back (the nearest 9-digit one always does). So the text always reads back exactly, with `Math.fround(parseFloat(s))` as
 * with a correctly rounded float32 parser (the fast path stays 1e-6 units away from
 * the interval's ends, far from where the two could differ).
 * @module
 */

/** Powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** 10^k as the nearest double, for the decimal exponent of |x|: float32 spans 1e-45 to 3.4e38. */
const P10_MIN = -46;
const P10 = Array.from({ length: 40 - P10_MIN + 1 }, (_, i) => Number(`1e${i + P10_MIN}`));
/** Half an ulp of a float32 with biased exponent e (subnormals, e = 0, share e = 1's). */
const HALF_ULP = Array.from({ length: 255 }, (_, e) => 2 ** (Math.max(e, 1) - 151));
/** Distance (in units of the scaled [1e8, 1e9) value) within which an interval end is too close to call. */
const EPSILON = 1e-6;
const LOG10_2 = Math.log10(2);
/** 1 / 10^j, rounded: quotients by them are corrected with exact products. */
const INVERSE10 = POW10.map((p) => 1 / p);

/** Most bytes one element takes: `-1000000000000000` (below 1e16 numbers are written without an exponent) and a comma. */
const MAX_FLOAT32_TEXT = 18;

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/**
 * The JSON array text of `data` (a flat array) as bytes.
 * @throws RangeError for NaN or infinity (JSON has neither; callers check first)
 */
export function float32ArrayJson(data: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(2 + data.length * MAX_FLOAT32_TEXT);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < data.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at = writeFloat32(out, at, data[i]!, bits[i]!);
  }
  out[at++] = 0x5d; // ]
  return out.subarray(0, at);
}

/** The shortest text of one float32, as a string (for tests and small uses). */
export function float32Text(x: number): string {
  const f = new Float32Array([x]);
  const out = new Uint8Array(MAX_FLOAT32_TEXT);
  const end = writeFloat32(out, 0, f[0]!, new Uint32Array(f.buffer)[0]!);
  return String.fromCharCode(...out.subarray(0, end));
}

/** Writes float32 `x` (whose IEEE bits are `bits`) at `at`; returns the position after it. */
function writeFloat32(out: Uint8Array, at: number, x: number, bits: number): number {
  const biased = (bits >>> 23) & 0xff;
  if (biased === 0xff) throw new RangeError(`JSON cannot carry ${x}`);
  if (bits >>> 31 !== 0) out[at++] = MINUS;
  const fraction = bits & 0x7fffff;
  if (biased === 0 && fraction === 0) {
    out[at++] = ZERO;
    return at;
  }
  const a = Math.abs(x);
  // The decimal exponent of a: floor(log10(2^e2)) or one more (no float32 lies between 10^k and its double in the table).
  let e = biased === 0 ? -46 : Math.floor((biased - 127) * LOG10_2);
  if (a >= P10[e + 1 - P10_MIN]!) e++;
  if (e >= -13 && e <= 22) {
    const p = 8 - e; // a * 10^p is in [1e8, 1e9)
    const half = HALF_ULP[biased]!;
    const below = fraction === 0 && biased > 1 ? half / 2 : half;
    const s = p >= 0 ? a * POW10[p]! : a / POW10[-p]!;
    const lo = s - (p >= 0 ? below * POW10[p]! : below / POW10[-p]!);
    const hi = s + (p >= 0 ? half * POW10[p]! : half / POW10[-p]!);
    // The largest j such that a multiple of 10^j lies inside [lo, hi]: one of 10^(j+1) is one of 10^j, and the interval
    // (at least 3 units wide) nearly always holds one of 10 (8 digits), so start at j = 1 and climb, or step down to 0.
    let j = 1;
    let first = firstMultiple(lo, hi, 1);
    if (first === NONE) {
      j = 0;
      first = firstMultiple(lo, hi, 0);
    } else {
      while (first >= 0 && j < 9) {
        const next = firstMultiple(lo, hi, j + 1);
        if (next === NONE) break;
        first = next;
        j++;
      }
    }
    if (first >= 0) {
      const step = POW10[j]!;
      let digits = Math.round(s * INVERSE10[j]!);
      if (digits < first) digits = first;
      else if (digits * step > hi - EPSILON) digits--;
      let q = j - p;
      // What a reader computes: one correctly rounded operation on exact operands (|q| <= 22, digits < 2^53).
      if (Math.fround(q >= 0 ? digits * POW10[q]! : digits / POW10[-q]!) === a) {
        for (let tenth = (digits / 10) | 0; tenth * 10 === digits; tenth = (digits / 10) | 0) {
          digits = tenth;
          q++;
        }
        return writeDecimal(out, at, digits, q);
      }
    }
  }
  // The slow path: the k-digit decimals either side of a are the only k-digit candidates; the first k with one that reads back.
  for (let k = 1; ; k++) {
    const [mantissa, exponent] = a.toExponential(k - 1).split('e') as [string, string];
    const nearest = Number(mantissa.replace('.', ''));
    let q = Number(exponent) - (k - 1);
    for (let digits of [nearest, nearest - 1, nearest + 1]) {
      if (k < 9 && (digits <= 0 || Math.fround(Number(`${digits}e${q}`)) !== a)) continue;
      while (digits % 10 === 0) {
        digits /= 10;
        q++;
      }
      return writeDecimal(out, at, digits, q);
    }
  }
}

const NONE = -1;
const CLOSE = -2;

/**
 * The smallest c with c * 10^j inside [lo, hi] (scaled units, each end known within 2e-7):
 * {@link NONE} when there is none, {@link CLOSE} when an end is too close to call.
 */
function firstMultiple(lo: number, hi: number, j: number): number {
  const step = POW10[j]!;
  // The quotient by multiplication may be off by one; exact integer multiples settle it.
  let c = Math.ceil(lo * INVERSE10[j]!);
  if ((c - 1) * step >= lo) c--;
  else if (c * step < lo) c++;
  const low = c * step;
  if (low - lo < EPSILON || Math.abs(low - hi) < EPSILON) return CLOSE;
  return low > hi ? NONE : c;
}

/** Writes digits * 10^q: plain for 1e-4 <= value < 1e16, else with an exponent (Python's choice). */
function writeDecimal(out: Uint8Array, at: number, digits: number, q: number): number {
  let n = 1;
  while (n < 10 && digits >= POW10[n]!) n++;
  const exponent = n - 1 + q; // of the first digit
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out[at++] = ZERO;
      out[at++] = DOT;
      for (let k = -1; k > exponent; k--) out[at++] = ZERO;
      return writeDigits(out, at, digits, n, -1);
    }
    if (q >= 0) {
      at = writeDigits(out, at, digits, n, -1);
      for (let k = 0; k < q; k++) out[at++] = ZERO;
      return at;
    }
    return writeDigits(out, at, digits, n, exponent + 1);
  }
  at = writeDigits(out, at, digits, n, n > 1 ? 1 : -1);
  out[at++] = 0x65; // e
  let power = exponent;
  if (power < 0) {
    out[at++] = MINUS;
    power = -power;
  } else {
    out[at++] = 0x2b; // +
  }
  if (power >= 10) out[at++] = ZERO + Math.floor(power / 10);
  out[at++] = ZERO + (power % 10);
  return at;
}

/** "00".."99" as ASCII byte pairs. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => ZERO + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** Writes the n digits of `digits` (< 2^31), a point after the first `point` of them (none when -1). */
function writeDigits(out: Uint8Array, at: number, digits: number, n: number, point: number): number {
  if (point === -1) return writeWidth(out, at, digits, n);
  const scale = POW10[n - point]!;
  const whole = Math.floor(digits / scale);
  at = writeWidth(out, at, whole, point);
  out[at++] = DOT;
  return writeWidth(out, at, digits - whole * scale, n - point);
}

/** Writes `value` (< 2^31) as exactly `width` digits (zeros first where it has fewer), two at a time from the end. */
function writeWidth(out: Uint8Array, at: number, value: number, width: number): number {
  let k = at + width;
  while (k - at >= 2) {
    const rest = (value / 100) | 0;
    const pair = (value - rest * 100) * 2;
    out[--k] = PAIRS[pair + 1]!;
    out[--k] = PAIRS[pair]!;
    value = rest;
  }
  if (k > at) out[--k] = ZERO + value;
  return at + width;
}
