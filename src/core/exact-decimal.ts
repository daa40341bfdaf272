/**
 * DECIMAL/NUMERIC values → the value model (core/values.ts), exactly: a number when that double prints
 * back as the very same decimal, else the decimal's canonical text. Every source calls these (DuckDB
 * with the scaled integer it stores, PostgreSQL and MySQL with the server's text), so a decimal reads
 * the same from each, and two different decimals never become one value or one key.
 */

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Below 10^15 a decimal has at most 15 significant digits, which a double always prints back as written. */
const FIFTEEN_DIGITS = 1e15;

/**
 * A decimal in canonical text (see `decimalFromText`) as the value model has it: a number when that
 * double prints back as exactly the same text (`String(Number(t)) === t`), else the text itself, so
 * no digit is ever lost: "1.5" → 1.5, "1234567890123456789" → "1234567890123456789", "0.0000001"
 * → "0.0000001" (the double would print "1e-7").
 */
export function decimalFromCanonical(text: string): number | string {
  const n = Number(text);
  return String(n) === text ? n : text;
}

/** Sign, integer digits and fraction digits of a decimal → canonical text (see `decimalFromText`). */
function canonicalDecimal(negative: boolean, integer: string, fraction: string): string {
  let i = 0;
  while (i < integer.length - 1 && integer.charCodeAt(i) === 48) i++;
  let f = fraction.length;
  while (f > 0 && fraction.charCodeAt(f - 1) === 48) f--;
  const whole = i === 0 ? integer || '0' : integer.slice(i);
  const body = f === 0 ? whole : `${whole}.${fraction.slice(0, f)}`;
  return negative && body !== '0' ? `-${body}` : body;
}

/**
 * A DECIMAL given as its scaled integer (12.34 with scale 2 is 1234n) → `decimalFromCanonical` of its
 * exact text. Below 10^15 the nearest double (an exact integer divided by an exact power of ten:
 * IEEE division rounds correctly) prints back as the decimal's canonical text whenever it prints
 * without an exponent (|v| >= 10^-6), so only wider or tinier values build the text.
 */
export function decimalFromScaled(scaled: bigint, scale: number): number | string {
  const n = Number(scaled);
  if (n > -FIFTEEN_DIGITS && n < FIFTEEN_DIGITS && scale < POW10.length) {
    const v = n / (POW10[scale] as number);
    if (v === 0 || v >= 1e-6 || v <= -1e-6) return v;
  }
  const negative = scaled < 0n;
  return decimalFromDigits(negative, (negative ? -scaled : scaled).toString(), scale);
}

/** `decimalFromScaled` for a scaled integer that is an exact double (|n| <= 2^53), as column readers have it. */
export function decimalFromScaledNumber(n: number, scale: number): number | string {
  if (n > -FIFTEEN_DIGITS && n < FIFTEEN_DIGITS && scale < POW10.length) {
    const v = n / (POW10[scale] as number);
    if (v === 0 || v >= 1e-6 || v <= -1e-6) return v;
  }
  return decimalFromDigits(n < 0, String(Math.abs(n)), scale);
}

function decimalFromDigits(negative: boolean, digits: string, scale: number): number | string {
  const padded = digits.padStart(scale + 1, '0');
  const cut = padded.length - scale;
  return decimalFromCanonical(canonicalDecimal(negative, padded.slice(0, cut), padded.slice(cut)));
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * NUMERIC/DECIMAL text from a driver (PostgreSQL, MySQL) → `decimalFromCanonical` of its canonical
 * text: no exponent, no "+", no leading zeros before the point, no trailing zeros after it (nor the
 * point when nothing is left), "-0" → "0". "NaN" and "±Infinity" become null, as for floats; text
 * of any other shape is kept as it is.
 */
export function decimalFromText(text: string): number | string | null {
  const n = Number(text);
  // Most values are canonical already ("12.5", "42"): one parse and one print decide.
  if (Number.isFinite(n) && String(n) === text) return n;
  const m = DECIMAL_TEXT.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) {
    return /^[+-]?(nan|inf|infinity)$/i.test(text) ? null : text;
  }
  return decimalFromCanonical(canonicalDecimal(m[1] === '-', m[2] as string, m[3] ?? ''));
}
