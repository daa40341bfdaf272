/**
 * The normalised value model every source yields, so that a sync's messages never depend on where
 * rows came from, and exact, so that two different warehouse values never become one value or one
 * key. See src/sources/README.md "Types" for the table engine type → value → key text:
 * - integers: number when |n| <= 2^53 - 1, otherwise the decimal digit string (never rounded);
 * - DECIMAL/NUMERIC of any precision and scale: a number when that double prints back as exactly the
 *   canonical decimal (`String(Number(t)) === t`: 1.50 → 1.5), else the canonical decimal string
 *   ("1234567890123456789", "0.0000001"); NaN/±Infinity → null (core/exact-decimal.ts);
 * - REAL/FLOAT/DOUBLE: number (shortest round-trip); NaN and ±Infinity → null;
 * - booleans: boolean;
 * - TIMESTAMP / TIMESTAMPTZ (every precision): ISO-8601 UTC with `Z`, three fractional digits plus
 *   every further nonzero digit the engine holds ("2024-01-02T03:04:05.678Z", "…05.678901Z"), years
 *   beyond 0000–9999 expanded ("+294247-…", "-000043-…") whatever JavaScript's Date can hold; a
 *   timestamp without zone is read as UTC; `infinity`/`-infinity` → null;
 * - DATE: "YYYY-MM-DD" (expanded years likewise); TIME: "HH:MM:SS[.fff…]";
 * - strings: exactly the characters the engine stores (a leading U+FEFF, NUL, combining marks kept);
 * - JSON/JSONB: the parsed value; LIST/ARRAY: arrays; STRUCT/MAP: plain objects;
 * - BLOB/BYTEA: base64 string; UUID: lowercase string; NULL: null.
 */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** One row of a model, column name → normalised value, in the model's column order. */
export type Row = Record<string, Value>;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as a number when it is exact in a double, else as its decimal string. */
export function normaliseBigInt(n: bigint): number | string {
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n.toString();
}

/** A JS Date as ISO-8601 UTC with milliseconds (all a Date holds); invalid dates become null. */
export function normaliseDate(d: Date): string | null {
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}
