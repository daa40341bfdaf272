/**
 * The receiver's timestamp rule, stricter than Segment (segment-contract.md §2 "timestamp range" and
 * §9: Segment documents no rule for unparseable timestamps). A referee that accepted whatever
 * `Date.parse` accepts would let a sender ship "01/02/2024" or a zone-less local time and never
 * notice, so we accept only RFC 3339-style ISO-8601 date-times **with a zone**:
 *
 *   YYYY-MM-DDTHH:MM:SS[.fraction](Z | ±HH:MM | ±HHMM)
 *
 * A time without a zone is ambiguous (whose midnight?), and SPEC §2 promises that Sluice sends
 * timestamps "as ISO-8601 with a time zone", so the referee holds the sender to that. Dates without a
 * time ("2024-01-02") are rejected for the same reason. `T`/`Z` may be lower case (RFC 3339 §5.6); a
 * space instead of `T` is not accepted. Fractions beyond milliseconds are truncated, as `Date` holds ms.
 */
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

let lastInput: string | undefined;
let lastResult: number | undefined;

/**
 * Epoch milliseconds of an ISO-8601 date-time with a zone, or `undefined` when `value` is not one
 * (wrong type, wrong shape, or an impossible date such as Feb 30 or 24:00). We compute the instant
 * from the parts ourselves rather than trusting `Date.parse`, whose acceptance of odd forms is
 * engine-specific and which silently rolls over impossible dates.
 */
export function parseIsoTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  // Validation and stamping both parse each timestamp, and the messages of a batch often share one:
  // remembering the last answer saves most regex runs. The function stays pure.
  if (value !== lastInput) {
    lastResult = parse(value);
    lastInput = value;
  }
  return lastResult;
}

function parse(value: string): number | undefined {
  const m = ISO_WITH_ZONE.exec(value);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  // Leap seconds (:60) are refused: JS time has none, and accepting one would roll into the next minute.
  if (day > maxDay || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMinutes * 60_000;
}
