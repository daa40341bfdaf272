/**
 * Engine-independent conversions into the shared value model (core/values.ts). Every source (DuckDB,
 * PostgreSQL, MySQL, SQLite, files) calls these, so a timestamp or a large integer reads the same
 * whatever engine it came from. They are on the hot path (about a million rows a second), so they
 * avoid `Date` allocation and bigint arithmetic where a plain number is exact.
 */
import type { Value } from './values.js';

const MS_PER_DAY = 86_400_000;
/** `Date` covers ±100,000,000 days around 1970 (ECMA-262 §21.4.1.1); beyond that there is no ISO form. */
const MAX_EPOCH_MS = 8.64e15;
const MAX_EPOCH_DAYS = 100_000_000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Integer division rounding toward −∞, so a time before 1970 truncates to the earlier millisecond. */
function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d < 0n ? q - 1n : q;
}

/** `floorDiv` for numbers that are exact integers (|n| <= 2^53): no rounding in `/` can creep in. */
function floorDivNumber(n: number, d: number): number {
  const r = n % d;
  return (n - r) / d - (r < 0 ? 1 : 0);
}

/** Days since 1970-01-01 → "YYYY-MM-DD" (Hinnant's civil_from_days), without a `Date`. */
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
  // Same spelling as Date#toISOString: 4 digits for 0..9999, else the signed 6-digit extended year.
  const y =
    year >= 0 && year <= 9999
      ? String(year).padStart(4, '0')
      : `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
  return `${y}-${PAD2[month]}-${PAD2[day]}`;
}

// Rows are often sorted or clustered by time, so consecutive timestamps usually share their day.
let cachedDay = Number.NaN;
let cachedDate = '';

/**
 * Milliseconds since 1970-01-01T00:00:00Z → "2024-01-02T03:04:05.678Z" (what `Date#toISOString`
 * gives, about 6× faster). Fractions of a millisecond round down. Null outside `Date`'s range or for
 * a non-finite input, e.g. a database's `infinity`.
 */
export function isoFromEpochMillis(ms: number): string | null {
  if (!(ms >= -MAX_EPOCH_MS && ms <= MAX_EPOCH_MS)) return null;
  const whole = Math.floor(ms);
  const day = Math.floor(whole / MS_PER_DAY);
  let rest = whole - day * MS_PER_DAY;
  if (day !== cachedDay) {
    cachedDate = civilDate(day);
    cachedDay = day;
  }
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${cachedDate}T${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rest - s * 1000]}Z`;
}

/** Microseconds since the epoch (TIMESTAMP, TIMESTAMPTZ in DuckDB and PostgreSQL) → ISO-8601 UTC. */
export function isoFromEpochMicros(micros: bigint): string | null {
  // The double is exact when the test passes (see bigintToValue); bigint maths only beyond that.
  const n = Number(micros);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return isoFromEpochMillis(floorDivNumber(n, 1000));
  return isoFromEpochMillis(Number(floorDiv(micros, 1000n)));
}

/** Seconds since the epoch → ISO-8601 UTC. */
export function isoFromEpochSeconds(seconds: bigint | number): string | null {
  return isoFromEpochMillis(Number(seconds) * 1000);
}

/** Nanoseconds since the epoch → ISO-8601 UTC, truncated to the millisecond. */
export function isoFromEpochNanos(nanos: bigint): string | null {
  return isoFromEpochMillis(Number(floorDiv(nanos, 1_000_000n)));
}

/** Days since 1970-01-01 (DATE) → "YYYY-MM-DD"; null for `infinity` and other days beyond `Date`'s range. */
export function isoDateFromEpochDays(days: number): string | null {
  if (!(days >= -MAX_EPOCH_DAYS && days <= MAX_EPOCH_DAYS)) return null;
  return civilDate(Math.floor(days));
}

/**
 * Microseconds since midnight (TIME) → "HH:MM:SS", plus ".fff" when there is a fraction of a second
 * (truncated to milliseconds, like timestamps). 24:00:00 stays 24:00:00, as PostgreSQL allows it.
 */
export function timeFromMicros(micros: bigint | number): string {
  const total = typeof micros === 'bigint' ? Number(micros) : micros;
  const ms = Math.floor(total / 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const frac = ms % 1000;
  const hh = h < 100 ? PAD2[h] : String(h);
  return `${hh}:${PAD2[m]}:${PAD2[s]}${frac === 0 ? '' : `.${PAD3[frac]}`}`;
}

/** TIME WITH TIME ZONE → "HH:MM:SS[.fff]+HH:MM"; `offsetSeconds` is east of UTC, as ISO-8601 writes it. */
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

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A DECIMAL given as its scaled integer (12.34 with scale 2 is 1234n) → the nearest double. Both
 * operands are exact doubles when small enough, and IEEE division rounds correctly, so this equals
 * parsing the decimal text; wider values go through that text.
 */
export function decimalToNumber(scaled: bigint, scale: number): number {
  const n = Number(scaled);
  if (scale < POW10.length && n >= -MAX_SAFE && n <= MAX_SAFE) return n / (POW10[scale] as number);
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return Number(negative ? `-${text}` : text);
}

/** NUMERIC text from a driver (PostgreSQL, MySQL) → a number; "NaN" and "Infinity" become null. */
export function decimalTextToNumber(text: string): number | null {
  return finiteOrNull(Number(text));
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
