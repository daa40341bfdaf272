/**
 * Timestamps for Segment's `timestamp` field. Segment wants ISO-8601 (segment-contract.md §3.1,
 * https://segment.com/docs/connections/spec/common/) and documents no behaviour for unparseable
 * values (§9), so Sluice accepts only unambiguous ISO-8601 forms and sends one canonical form:
 * UTC with milliseconds and `Z` ("2024-01-02T03:04:05.678Z").
 *
 * Accepted: `YYYY-MM-DD`, `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` with an optional zone (`Z`, `±HH`,
 * `±HHMM`, `±HH:MM`). A value without a zone is read as UTC, the same rule the sources apply to
 * TIMESTAMP WITHOUT TIME ZONE (core/values.ts). Digits past milliseconds are truncated. A date
 * alone is midnight UTC. Numbers are refused: an epoch is ambiguous (seconds or milliseconds?), so
 * the user converts it in SQL where the unit is known.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** The timestamp as canonical ISO-8601 UTC, or null when it is not a valid date and time. */
export function normaliseTimestamp(value: unknown): string | null {
  if (typeof value === 'string') return isCanonicalTimestamp(value) ? value : parseIso(value);
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : canonicalOrNull(value.toISOString());
  }
  return null;
}

/**
 * `toISOString` writes years outside 0000–9999 in the expanded form ("+010000-01-01T…",
 * "-000001-12-31T…"), which is not the ISO-8601 Segment reads; a zone can carry a valid local
 * "9999-12-31T23:59:59-01:00" past year 9999. Such instants are refused rather than sent.
 */
function canonicalOrNull(iso: string): string | null {
  return isCanonicalTimestamp(iso) ? iso : null;
}

/**
 * The form the sources already produce ("2024-01-02T03:04:05.678Z"), checked with character codes
 * and no Date: this runs once per row, so it is the hot path. Anything else takes `parseIso`.
 */
export function isCanonicalTimestamp(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */) return false;
  for (let i = 0; i < 23; i++) {
    const c = s.charCodeAt(i);
    const expected = SEPARATORS[i];
    if (expected === 0 ? c < 48 || c > 57 : c !== expected) return false;
  }
  const year = num(s, 0, 4);
  const month = num(s, 5, 2);
  const day = num(s, 8, 2);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    num(s, 11, 2) <= 23 &&
    num(s, 14, 2) <= 59 &&
    num(s, 17, 2) <= 59
  );
}

/** Per position of the canonical form: the separator's char code, or 0 for a digit. */
const SEPARATORS = [0, 0, 0, 0, 45, 0, 0, 45, 0, 0, 84, 0, 0, 58, 0, 0, 58, 0, 0, 46, 0, 0, 0];

function num(s: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function parseIso(text: string): string | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  // Date.UTC maps years 0–99 to 1900–1999; setting the year afterwards keeps it literal.
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) return null;
  const offset = zoneOffsetMinutes(m[8]);
  if (offset === null) return null;
  return canonicalOrNull(new Date(d.getTime() - offset * 60_000).toISOString());
}

/** Minutes east of UTC for a zone designator; undefined (no zone) is UTC. */
function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}
