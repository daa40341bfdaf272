/**
 * Engine-independent conversions into the shared value model (core/values.ts). Every source (DuckDB,
 * PostgreSQL, MySQL, SQLite, files) calls these, so a timestamp or a large integer reads the same
 * whatever engine it came from. They are on the hot path (about a million rows a second), so they
 * avoid `Date` allocation and bigint arithmetic where a plain number is exact.
 */
import type { Value } from './values.js';

const MS_PER_DAY = 86_400_000;
const MICROS_PER_DAY = 86_400_000_000;
const NANOS_PER_DAY = 86_400_000_000_000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** DuckDB's `infinity` / `-infinity` TIMESTAMP (every precision) and DATE, as stored. */
const INT64_INFINITY = 9_223_372_036_854_775_807n;
const INT32_INFINITY = 2_147_483_647;

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Integer division rounding toward −∞, so a time before 1970 lands on the right day. */
function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d < 0n ? q - 1n : q;
}

/** `floorDiv` for numbers that are exact integers (|n| <= 2^53): no rounding in `/` can creep in. */
function floorDivNumber(n: number, d: number): number {
  const r = n % d;
  return (n - r) / d - (r < 0 ? 1 : 0);
}

/**
 * A year as ISO-8601 writes it: 4 digits for 0..9999, else the signed expanded year of at least 6
 * digits (`+275761`, `-000044`), as `Date#toISOString` does — and beyond its range too.
 */
function isoYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
}

/** Days since 1970-01-01 → "YYYY-MM-DD" (Hinnant's civil_from_days, any integer day), without a `Date`. */
function civilDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${isoYear(year)}-${PAD2[month]}-${PAD2[day]}`;
}

// Rows are often sorted or clustered by time, so consecutive timestamps usually share their day.
let cachedDay = Number.NaN;
let cachedDate = '';

/**
 * A fraction of a millisecond (0 < nanos < 1,000,000) as the digits that follow the three
 * millisecond digits, trailing zeros trimmed: 901_000 → "901" (".678901"), 900_000 → "9".
 */
function subMillis(nanos: number): string {
  let digits = 6;
  let n = nanos;
  while (n % 10 === 0) {
    n /= 10;
    digits--;
  }
  return String(n).padStart(digits, '0');
}

/**
 * An instant given as a day (since 1970-01-01, any integer) and the nanoseconds into it (an integer,
 * 0 <= nanos < 86,400 × 10^9) → ISO-8601 UTC with `Z`: always three fractional digits, then the
 * further digits when they are not all zero (`.678901`, `.678901234`, trailing zeros trimmed), and
 * expanded years beyond 0000–9999. Exact for every instant: no `Date` and no rounding involved.
 */
export function isoFromDayNanos(day: number, nanos: number): string {
  if (day !== cachedDay) {
    cachedDate = civilDate(day);
    cachedDay = day;
  }
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos - seconds * 1e9;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds - h * 3600) / 60);
  const s = seconds - h * 3600 - m * 60;
  const ms = Math.floor(fraction / 1e6);
  const rest = fraction - ms * 1e6;
  const tail = rest === 0 ? '' : subMillis(rest);
  return `${cachedDate}T${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[ms]}${tail}Z`;
}

/**
 * Milliseconds since 1970-01-01T00:00:00Z → "2024-01-02T03:04:05.678Z" (what `Date#toISOString`
 * gives within its range, about 6× faster, and the expanded-year form beyond it). Fractions of a
 * millisecond round down. Null for a non-finite input (a database's `infinity`).
 */
export function isoFromEpochMillis(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const whole = Math.floor(ms);
  const day = Math.floor(whole / MS_PER_DAY);
  return isoFromDayNanos(day, (whole - day * MS_PER_DAY) * 1e6);
}

/** Microseconds since the epoch, a number that is an exact integer (|n| <= 2^53) → ISO-8601 UTC. */
export function isoFromEpochMicrosNumber(micros: number): string {
  const day = floorDivNumber(micros, MICROS_PER_DAY);
  return isoFromDayNanos(day, (micros - day * MICROS_PER_DAY) * 1000);
}

/**
 * Microseconds since the epoch (TIMESTAMP, TIMESTAMPTZ in DuckDB) → ISO-8601 UTC with the
 * microseconds when there are any; null for DuckDB's `infinity` and `-infinity`.
 */
export function isoFromEpochMicros(micros: bigint): string | null {
  // The double is exact when the test passes (see bigintToValue); bigint maths only beyond that.
  const n = Number(micros);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return isoFromEpochMicrosNumber(n);
  if (micros === INT64_INFINITY || micros === -INT64_INFINITY) return null;
  const day = floorDiv(micros, BigInt(MICROS_PER_DAY));
  return isoFromDayNanos(Number(day), Number(micros - day * BigInt(MICROS_PER_DAY)) * 1000);
}

/** Milliseconds since the epoch (TIMESTAMP_MS) as DuckDB stores them → ISO-8601 UTC; null for `infinity`. */
export function isoFromEpochMillisBigInt(ms: bigint): string | null {
  const n = Number(ms);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return isoFromEpochMillis(n);
  if (ms === INT64_INFINITY || ms === -INT64_INFINITY) return null;
  return isoFromEpochNanos(ms * 1_000_000n);
}

/** Seconds since the epoch (TIMESTAMP_S) → ISO-8601 UTC; null for `infinity`. */
export function isoFromEpochSeconds(seconds: bigint | number): string | null {
  if (typeof seconds === 'bigint') {
    if (seconds === INT64_INFINITY || seconds === -INT64_INFINITY) return null;
    return isoFromEpochNanos(seconds * 1_000_000_000n);
  }
  if (!Number.isFinite(seconds)) return null;
  const day = Math.floor(seconds / 86_400);
  return isoFromDayNanos(day, Math.floor((seconds - day * 86_400) * 1e9));
}

/** Nanoseconds since the epoch (TIMESTAMP_NS) → ISO-8601 UTC with every nonzero digit; null for `infinity`. */
export function isoFromEpochNanos(nanos: bigint): string | null {
  if (nanos === INT64_INFINITY || nanos === -INT64_INFINITY) return null;
  const day = floorDiv(nanos, BigInt(NANOS_PER_DAY));
  return isoFromDayNanos(Number(day), Number(nanos - day * BigInt(NANOS_PER_DAY)));
}

/** Days since 1970-01-01 (DATE) → "YYYY-MM-DD", expanded years beyond 0000–9999; null for `infinity`. */
export function isoDateFromEpochDays(days: number): string | null {
  if (!Number.isFinite(days) || days >= INT32_INFINITY || days <= -INT32_INFINITY) return null;
  return civilDate(Math.floor(days));
}

/**
 * Nanoseconds since midnight (TIME, TIME_NS; MySQL's TIME is a duration up to 838 hours) →
 * "HH:MM:SS", plus the fraction of a second when there is one, written like a timestamp's: three
 * digits, then the further nonzero ones (".789", ".789123"). 24:00:00 stays 24:00:00, as PostgreSQL
 * allows it.
 */
export function timeFromNanos(nanos: number): string {
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos - seconds * 1e9;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const hh = h < 100 ? PAD2[h] : String(h);
  if (fraction === 0) return `${hh}:${PAD2[m]}:${PAD2[s]}`;
  const ms = Math.floor(fraction / 1e6);
  const rest = fraction - ms * 1e6;
  return `${hh}:${PAD2[m]}:${PAD2[s]}.${PAD3[ms]}${rest === 0 ? '' : subMillis(rest)}`;
}

/** Microseconds since midnight (TIME) → `timeFromNanos`'s text. */
export function timeFromMicros(micros: bigint | number): string {
  return timeFromNanos(Number(micros) * 1000);
}

/** TIME WITH TIME ZONE → "HH:MM:SS[.fff…]+HH:MM"; `offsetSeconds` is east of UTC, as ISO-8601 writes it. */
export function timeWithOffset(micros: bigint | number, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const oh = Math.floor(abs / 3600);
  const om = Math.floor((abs % 3600) / 60);
  return `${timeFromMicros(micros)}${sign}${PAD2[oh] ?? String(oh)}:${PAD2[om]}`;
}

/**
 * An interval → an ISO-8601 duration in PostgreSQL's `iso_8601` interval style: "P1Y2M3DT4H5M6.5S",
 * each part signed on its own ("P-1M2DT-3H"), zero as "PT0S". Months, days and time stay separate
 * because a month or a day has no fixed length.
 */
export function isoDurationFromInterval(months: number, days: number, micros: bigint): string {
  const years = Math.trunc(months / 12);
  const restMonths = months - years * 12;
  let date = '';
  if (years !== 0) date += `${years}Y`;
  if (restMonths !== 0) date += `${restMonths}M`;
  if (days !== 0) date += `${days}D`;
  const negative = micros < 0n;
  let rest = negative ? -micros : micros;
  const hours = rest / 3_600_000_000n;
  rest -= hours * 3_600_000_000n;
  const minutes = rest / 60_000_000n;
  rest -= minutes * 60_000_000n;
  const sign = negative ? '-' : '';
  let time = '';
  if (hours !== 0n) time += `${sign}${hours}H`;
  if (minutes !== 0n) time += `${sign}${minutes}M`;
  if (rest !== 0n) {
    const seconds = rest / 1_000_000n;
    const fraction = (rest % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
    time += `${sign}${seconds}${fraction === '' ? '' : `.${fraction}`}S`;
  }
  if (date === '' && time === '') return 'PT0S';
  return `P${date}${time === '' ? '' : `T${time}`}`;
}

/**
 * An integer as a number when a double holds it exactly (|n| <= 2^53 - 1), else its decimal string:
 * the same result as `normaliseBigInt` in values.ts, without bigint comparisons (hot path). Number()
 * of a bigint is exact up to 2^53 and rounds anything larger to at least 2^53, so the test on the
 * double never lets an inexact value through.
 */
export function bigintToValue(n: bigint): number | string {
  const d = Number(n);
  return d >= -MAX_SAFE && d <= MAX_SAFE ? d : n.toString();
}

/** A double as is; NaN and ±Infinity, which JSON cannot carry, become null. */
export function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/**
 * A 32-bit float (REAL/FLOAT4), which arrives widened to a double (0.1 → 0.10000000149011612), as the
 * shortest decimal that reads back to the same float, i.e. what the user wrote (0.1).
 */
export function float32ToNumber(f: number): number | null {
  if (!Number.isFinite(f)) return null;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

/** BLOB/BYTEA bytes → standard base64 (with padding). */
export function base64FromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Sets `target[key]`, also when `key` is "__proto__" (a column or a JSON key can be called that, and
 * plain assignment would then replace the prototype instead of adding a field).
 */
export function assignField(target: Record<string, Value>, key: string, value: Value): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** A MAP key, once normalised, as an object key: strings as is, other scalars as text, objects as JSON. */
export function mapKeyText(key: Value): string {
  if (typeof key === 'string') return key;
  if (key === null || typeof key !== 'object') return String(key);
  return JSON.stringify(key);
}

/** The first column name that appears twice, if any (rows are objects, so names must be unique). */
export function findDuplicateName(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
