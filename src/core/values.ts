/**
 * The normalised value model every source yields, so that a sync's messages never depend on where
 * rows came from. See README "Types" for the table engine type → value:
 * - integers: number when |n| <= 2^53 - 1, otherwise a decimal string (never rounded);
 * - DECIMAL/NUMERIC: number;
 * - booleans: boolean;
 * - TIMESTAMP / TIMESTAMPTZ: ISO-8601 UTC with milliseconds and `Z` ("2024-01-02T03:04:05.678Z");
 *   a timestamp without zone is read as UTC;
 * - DATE: "YYYY-MM-DD"; TIME: "HH:MM:SS[.fff]";
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

/** A JS Date as ISO-8601 UTC with milliseconds; invalid dates become null. */
export function normaliseDate(d: Date): string | null {
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}
