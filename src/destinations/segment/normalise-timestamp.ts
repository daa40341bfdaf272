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

/** The canonical form the sources already produce: checked cheaply, then round-tripped. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** The timestamp as canonical ISO-8601 UTC, or null when it is not a valid date and time. */
export function normaliseTimestamp(value: unknown): string | null {
  if (typeof value === 'string') {
    if (value.length === 24 && CANONICAL.test(value)) {
      // Date.parse rolls impossible dates over (Feb 30 → Mar 1): the round trip catches that.
      const t = Date.parse(value);
      return Number.isNaN(t) || new Date(t).toISOString() !== value ? null : value;
    }
    return parseIso(value);
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }
  return null;
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
  return new Date(d.getTime() - offset * 60_000).toISOString();
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
