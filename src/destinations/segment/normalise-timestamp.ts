/**
 * Timestamps for Segment's `timestamp` field. Segment wants ISO-8601 (segment-contract.md §3.1,
 * https://segment.com/docs/connections/spec/common/) and documents no behaviour for unparseable
 * values (§9), so Sluice accepts only unambiguous ISO-8601 forms and sends one canonical form:
 * UTC with milliseconds and `Z` ("2024-01-02T03:04:05.678Z").
 *
 * Accepted: `YYYY-MM-DD`, `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` with an optional zone (`Z`, `±HH`,
 * `±HHMM`, `±HH:MM`), and the same with ISO's expanded year `±YYYYYY` (what the sources write for
 * years outside 0000–9999, src/sources/README.md). A value without a zone is read as UTC, the same
 * rule the sources apply to TIMESTAMP WITHOUT TIME ZONE (core/values.ts). A date alone is midnight
 * UTC. Numbers are refused: an epoch is ambiguous (seconds or milliseconds?), so the user converts it
 * in SQL where the unit is known.
 *
 * Sub-millisecond digits (`.678901Z` from a microsecond column) are **truncated** to milliseconds,
 * never rounded (rounding could carry into the next second, minute… year): Segment's `timestamp` is
 * a millisecond instant (its libraries send `Date#toISOString()`, segment-contract.md §5 "event
 * shape"; the receiver keeps milliseconds), so further digits would be dropped on arrival anyway.
 *
 * Range: the instant, in UTC, must fall in the years 0000–9999. Segment documents no bound
 * (segment-contract.md §2 "timestamp range"), but an ISO-8601 timestamp without a prior agreement on
 * expanded years has four year digits, and that is all Segment's readers and the receiver accept.
 * Anything outside is refused (`invalid_timestamp`), never clamped, nulled or stamped "now".
 */

const ISO =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Why a timestamp could not be normalised; `null` from normaliseTimestamp either way. */
type Refusal = 'malformed' | 'out_of_range';

/** The timestamp as canonical ISO-8601 UTC, or null when it is not a valid date and time in range. */
export function normaliseTimestamp(value: unknown): string | null {
  if (typeof value === 'string') {
    if (isCanonicalTimestamp(value)) return value;
    // `…05.678901Z` (micro- or nanoseconds): the canonical head with more fraction digits.
    if (hasSubMillisecondDigits(value)) return `${value.slice(0, 23)}Z`;
    const parsed = parseIso(value);
    return parsed === 'malformed' || parsed === 'out_of_range' ? null : parsed;
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : canonicalOrNull(value.toISOString());
  }
  return null;
}

/**
 * The sentence for a value `normaliseTimestamp` refused: a number, a value out of range, or one that
 * is not ISO-8601 at all.
 */
export function timestampProblem(value: unknown): string {
  if (typeof value === 'number') {
    return `timestamp ${value} is a number; convert epochs to a timestamp in the model's SQL (seconds or milliseconds is ambiguous)`;
  }
  const text = typeof value === 'string' ? value : value instanceof Date ? safeIso(value) : undefined;
  const shown = text === undefined ? `of type ${typeof value}` : JSON.stringify(clip(text));
  if (text !== undefined && parseIso(text) === 'out_of_range') {
    return `timestamp ${shown} is outside the years 0000–9999 that a Segment timestamp can carry (ISO-8601 with a four-digit year, in UTC); correct or filter it in the model`;
  }
  return `timestamp ${shown} is not an ISO-8601 date and time (e.g. 2024-01-02T03:04:05Z)`;
}

function safeIso(date: Date): string | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
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
  return s.length === 24 && s.charCodeAt(23) === 90 /* Z */ && hasCanonicalHead(s);
}

/**
 * The canonical form with 4 to 9 fraction digits ("….678901Z", "….678901234Z"), which the sources
 * write for micro- and nanosecond columns: truncated to milliseconds without a Date.
 */
function hasSubMillisecondDigits(s: string): boolean {
  const last = s.length - 1;
  if (s.length < 25 || s.length > 30 || s.charCodeAt(last) !== 90 /* Z */) return false;
  for (let i = 23; i < last; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return hasCanonicalHead(s);
}

/** Whether the first 23 characters are a valid "YYYY-MM-DDTHH:MM:SS.mmm". */
function hasCanonicalHead(s: string): boolean {
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

/** The canonical form of any accepted ISO-8601 text, or why there is none. */
function parseIso(text: string): string | Refusal {
  const m = ISO.exec(text.trim());
  if (!m) return 'malformed';
  const yearText = m[1] as string;
  // ISO-8601 has no year "-000000" (ECMAScript refuses it too): minus zero is not a year.
  if (yearText === '-000000') return 'malformed';
  const year = Number(yearText);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return 'malformed';
  if (day > daysInMonth(year, month)) return 'malformed';
  const offset = zoneOffsetMinutes(m[8]);
  if (offset === null) return 'malformed';
  // Far outside 0000–9999 (and possibly outside what a Date holds, ±275,760 years): no zone can
  // bring it back, so no Date is needed to say so.
  if (year < -1 || year > 10_000) return 'out_of_range';
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  // Date.UTC maps years 0–99 to 1900–1999; setting the year afterwards keeps it literal.
  d.setUTCFullYear(year, month - 1, day);
  const iso = new Date(d.getTime() - offset * 60_000).toISOString();
  return isCanonicalTimestamp(iso) ? iso : 'out_of_range';
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
