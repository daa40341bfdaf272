/**
 * Dates, timestamps and times given as text → the shared value model (core/values.ts). PostgreSQL
 * (text protocol), MySQL/MariaDB (`dateStrings`) and SQLite (which stores them as TEXT) all hand
 * temporal values over as text, so one parser serves them all and a timestamp reads the same from
 * each. A timestamp keeps every fractional digit the text has (up to nanoseconds), as
 * `isoFromDayNanos` writes them for DuckDB, and years beyond 0000–9999 in ISO's expanded form.
 */
import { isoDateFromEpochDays, isoFromDayNanos, timeFromNanos } from '../core/normalise.js';

/**
 * `YYYY-MM-DD`, then optionally `[T ]HH:MM[:SS[.fraction]]`, an optional zone (`Z`, `±HH`,
 * `±HH:MM`, `±HH:MM:SS`, also without colons), and PostgreSQL's ` BC` era suffix.
 */
const TIMESTAMP =
  /^(\d{4,6})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)? ?(?:([Zz])|([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;
const DATE = /^(\d{4,6})-(\d\d)-(\d\d)( BC)?$/;
const TIME = /^(-?)(\d{2,3}):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$/;
const PLAIN_DATE = /^\d{4}-\d\d-\d\d$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= last;
}

/** Proleptic Gregorian date → days since 1970-01-01 (Hinnant's days_from_civil); year 0 is 1 BC. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The year of a date's text: astronomical numbering, so "0044 BC" is year -43. */
function yearOf(digits: string, bc: string | undefined): number {
  const year = Number(digits);
  return bc === undefined ? year : 1 - year;
}

/**
 * A fraction of a second's digits as ISO-8601 writes them here: always three, then the further ones
 * up to the last that is not zero ("5" → ".500", "678900" → ".6789", none → ".000").
 */
function isoFraction(fraction: string | undefined): string {
  if (fraction === undefined) return '.000';
  if (fraction.length <= 3) return `.${fraction.padEnd(3, '0')}`;
  let end = fraction.length;
  while (end > 3 && fraction.charCodeAt(end - 1) === 48) end--;
  return `.${fraction.slice(0, end)}`;
}

/** A fraction of a second's digits (at most 9) as nanoseconds ("5" → 500,000,000). */
function nanosOf(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(9, '0'));
}

/**
 * A timestamp's text → ISO-8601 UTC (`2024-01-02T03:04:05.678Z`, `…05.678901Z` with microseconds;
 * see `isoFromDayNanos`). Text without a zone is read as UTC; a date alone is its midnight.
 * `undefined` when the text is not such a timestamp or names an impossible date or time
 * (PostgreSQL's `infinity`, MySQL's zero date `0000-00-00 00:00:00`): each caller decides what that
 * becomes. Any year the text can hold is kept: none is out of range.
 */
export function isoFromTimestampText(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction, zulu, sign, oh, om, os, bc] = m;
  const year = yearOf(y as string, bc);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  const offset =
    sign === undefined || zulu !== undefined
      ? 0
      : (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0));
  if (offset === 0 && bc === undefined && (y as string).length === 4) {
    // The common case needs no arithmetic: the text already holds every part.
    return `${y}-${mo}-${d}T${h}:${mi}:${s}${isoFraction(fraction)}Z`;
  }
  const seconds = hour * 3600 + minute * 60 + second - offset;
  const dayShift = Math.floor(seconds / 86_400);
  const days = daysFromCivil(year, month, day) + dayShift;
  return isoFromDayNanos(days, (seconds - dayShift * 86_400) * 1e9 + nanosOf(fraction));
}

/**
 * A date's text (`YYYY-MM-DD`, with PostgreSQL's ` BC` suffix or a 5-digit year) → `YYYY-MM-DD` as
 * core/normalise.ts writes dates. `undefined` for anything else, including impossible dates such as
 * MySQL's `0000-00-00` and PostgreSQL's `infinity`.
 */
export function isoDateFromText(text: string): string | undefined {
  if (PLAIN_DATE.test(text)) {
    return validDate(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)))
      ? text
      : undefined;
  }
  const m = DATE.exec(text);
  if (m === null) return undefined;
  const year = yearOf(m[1] as string, m[4]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!validDate(year, month, day)) return undefined;
  return isoDateFromEpochDays(daysFromCivil(year, month, day)) ?? undefined;
}

/**
 * A time of day's text (`HH:MM[:SS[.fraction]]`) → `HH:MM:SS[.fff…]` as `timeFromNanos` writes it.
 * MySQL's TIME is really a duration (`-838:59:59` … `838:59:59`), so a sign and three-digit hours
 * are kept. `undefined` when the text is no such time.
 */
export function timeFromText(text: string): string | undefined {
  const m = TIME.exec(text);
  if (m === null) return undefined;
  const [, negative, h, mi, s = '0', fraction] = m;
  const minutes = Number(mi);
  const seconds = Number(s);
  if (minutes > 59 || seconds > 59) return undefined;
  const nanos = ((Number(h) * 60 + minutes) * 60 + seconds) * 1e9 + nanosOf(fraction);
  return `${negative}${timeFromNanos(nanos)}`;
}
