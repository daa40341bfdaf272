/**
 * SQLite values → the shared value model (core/values.ts). SQLite has no column types, only a
 * storage class per value (INTEGER, REAL, TEXT, BLOB, NULL) and a declared type per table column
 * (https://www.sqlite.org/datatype3.html). The value's storage class decides, except where the
 * declared type says what text or integers mean — the one place types live in SQLite:
 *
 * - declared BOOL/BOOLEAN: integers 0 → false, others → true;
 * - declared DATETIME/TIMESTAMP(TZ): ISO-8601 text (`2024-01-02 03:04:05[.fff][±HH:MM|Z]`, the form
 *   SQLite's own date functions write) → ISO UTC `Z`, text without zone read as UTC; numbers
 *   (unix or julian times are ambiguous) and other text stay as they are;
 * - declared DATE: `YYYY-MM-DD` text → the same date; other text stays;
 * - declared JSON/JSONB: JSON text → the parsed value; invalid JSON stays text.
 *
 * Computed columns (expressions) have no declared type: `json_object(…)` is text, `1 = 1` is 1.
 */
import { base64FromBytes, bigintToValue, finiteOrNull } from '../../core/normalise.js';
import { parseJsonText } from '../../core/parse-json-text.js';
import type { Value } from '../../core/values.js';
import { isoDateFromText, isoFromTimestampText } from '../parse-temporal-text.js';

/** Converts one non-null value as better-sqlite3 gives it with `safeIntegers(true)`. */
export type SqliteConverter = (value: unknown) => Value;

/** By storage class alone: INTEGER (bigint) exact, REAL finite, TEXT as is, BLOB as base64. */
export const byStorage: SqliteConverter = (v) => {
  switch (typeof v) {
    case 'bigint':
      return bigintToValue(v);
    case 'number':
      return finiteOrNull(v);
    case 'string':
      return v;
    default:
      return v instanceof Uint8Array ? base64FromBytes(v) : null;
  }
};

const bool: SqliteConverter = (v) =>
  typeof v === 'bigint' ? v !== 0n : typeof v === 'number' ? v !== 0 : byStorage(v);

const timestamp: SqliteConverter = (v) =>
  typeof v === 'string' ? (isoFromTimestampText(v) ?? v) : byStorage(v);

const date: SqliteConverter = (v) => (typeof v === 'string' ? (isoDateFromText(v) ?? v) : byStorage(v));

const json: SqliteConverter = (v) => {
  if (typeof v !== 'string') return byStorage(v);
  try {
    return parseJsonText(v);
  } catch {
    return v;
  }
};

/** The converter for a column from its declared type (see above); storage class when it has none. */
export function converterFor(declared: string | null): SqliteConverter {
  if (declared === null) return byStorage;
  const type = declared.toUpperCase();
  if (type.includes('BOOL')) return bool;
  if (type.includes('DATETIME') || type.includes('TIMESTAMP')) return timestamp;
  if (/^DATE\b/.test(type)) return date;
  if (type.startsWith('JSON')) return json;
  return byStorage;
}
