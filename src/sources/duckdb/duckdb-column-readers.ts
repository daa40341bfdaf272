/**
 * Column readers for the common scalar types: they take a vector's bytes (one native call per column
 * per chunk, see duckdb-raw-bindings.ts) and write a whole column of normalised values in a tight
 * loop, with no per-value native call, value object or bigint. Each gives exactly what the matching
 * converter of duckdb-values.ts gives for `DuckDBVector#getItem`'s value (duckdb-row-reader.test.ts
 * compares the two); every other type is read value by value through those converters.
 */
import { decimalFromScaled, decimalFromScaledNumber } from '../../core/exact-decimal.js';
import {
  bigintToValue,
  finiteOrNull,
  float32ToNumber,
  isoDateFromEpochDays,
  isoFromEpochMicros,
  isoFromEpochMicrosNumber,
  isoFromEpochMillis,
  isoFromEpochMillisBigInt,
  isoFromEpochNanos,
  isoFromEpochSeconds,
} from '../../core/normalise.js';
import type { Value } from '../../core/values.js';
import type { DuckDBRawBindings, DuckDBTypeLike } from './duckdb-client.js';
import { StringColumnReader } from './duckdb-string-reader.js';
import { isNull } from './duckdb-validity.js';
import { DuckDBTypeIds, json } from './duckdb-values.js';

/**
 * Writes `out[0..count)` from a copy of a vector's data (`count` values of `width` bytes, 8-byte
 * aligned) and of its validity mask (null when no row is null).
 */
export interface ColumnReader {
  readonly width: number;
  read(data: Uint8Array, validity: Uint8Array | null, count: number, out: Value[]): void;
}

const TWO_32 = 4_294_967_296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The reader for a column of `type`, or undefined when it has no fast path (nested, TIME,
 * INTERVAL, HUGEINT, ENUM, BLOB…).
 */
export function columnReaderFor(type: DuckDBTypeLike, bindings: DuckDBRawBindings): ColumnReader | undefined {
  const ids = DuckDBTypeIds;
  switch (type.typeId) {
    case ids.BOOLEAN:
      return bindings.sizeof_bool === 1 ? booleans : undefined;
    case ids.TINYINT:
      return typed(1, (d, n) => new Int8Array(d.buffer, d.byteOffset, n));
    case ids.SMALLINT:
      return typed(2, (d, n) => new Int16Array(d.buffer, d.byteOffset, n));
    case ids.INTEGER:
      return typed(4, (d, n) => new Int32Array(d.buffer, d.byteOffset, n));
    case ids.UTINYINT:
      return typed(1, (d, n) => new Uint8Array(d.buffer, d.byteOffset, n));
    case ids.USMALLINT:
      return typed(2, (d, n) => new Uint16Array(d.buffer, d.byteOffset, n));
    case ids.UINTEGER:
      return typed(4, (d, n) => new Uint32Array(d.buffer, d.byteOffset, n));
    case ids.BIGINT:
      return bigints;
    case ids.UBIGINT:
      return ubigints;
    case ids.DOUBLE:
      return doubles;
    case ids.FLOAT:
      return floats;
    case ids.DECIMAL:
      return decimalReader(type);
    case ids.TIMESTAMP:
    case ids.TIMESTAMP_TZ:
      return timestamps;
    case ids.TIMESTAMP_S:
      return timestampSeconds;
    case ids.TIMESTAMP_MS:
      return timestampMillis;
    case ids.TIMESTAMP_NS:
      return timestampNanos;
    case ids.DATE:
      return dates;
    case ids.VARCHAR:
      return new StringColumnReader(bindings, type.alias === 'JSON' ? json : undefined);
    default:
      return undefined;
  }
}

/** Values a typed-array view already holds as they should be (8- to 32-bit integers, scaled decimals). */
function typed(width: number, view: (data: Uint8Array, count: number) => ArrayLike<number>): ColumnReader {
  return {
    width,
    read(data, validity, count, out) {
      const items = view(data, count);
      for (let r = 0; r < count; r++) out[r] = isNull(validity, r) ? null : (items[r] as number);
    },
  };
}

const booleans: ColumnReader = {
  width: 1,
  read(data, validity, count, out) {
    for (let r = 0; r < count; r++) out[r] = isNull(validity, r) ? null : data[r] !== 0;
  },
};

const doubles: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const items = new Float64Array(data.buffer, data.byteOffset, count);
    for (let r = 0; r < count; r++) out[r] = isNull(validity, r) ? null : finiteOrNull(items[r] as number);
  },
};

const floats: ColumnReader = {
  width: 4,
  read(data, validity, count, out) {
    const items = new Float32Array(data.buffer, data.byteOffset, count);
    for (let r = 0; r < count; r++) out[r] = isNull(validity, r) ? null : float32ToNumber(items[r] as number);
  },
};

const dates: ColumnReader = {
  width: 4,
  read(data, validity, count, out) {
    const days = new Int32Array(data.buffer, data.byteOffset, count);
    for (let r = 0; r < count; r++)
      out[r] = isNull(validity, r) ? null : isoDateFromEpochDays(days[r] as number);
  },
};

/**
 * Row `r` of a column of int64 as a number when a double holds it exactly, else NaN (then read it as
 * a bigint with `int64At`). `hi * 2^32 + lo` rounds to at least 2^53 in magnitude whenever the true
 * value is that large (rounding is monotonic and 2^53 is a double), so the range test on the double
 * only lets exact values through — the same reasoning as `bigintToValue`.
 */
function exactInt64(words: Int32Array, r: number): number {
  const n = (words[2 * r + 1] as number) * TWO_32 + ((words[2 * r] as number) >>> 0);
  return n >= -MAX_SAFE && n <= MAX_SAFE ? n : Number.NaN;
}

function int64At(data: Uint8Array, r: number): bigint {
  return new DataView(data.buffer, data.byteOffset).getBigInt64(8 * r, true);
}

// Each 64-bit reader has its own loop rather than one loop calling a converter: a call site shared
// by several converters is polymorphic and is not inlined.

const bigints: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const words = new Int32Array(data.buffer, data.byteOffset, count * 2);
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const n = exactInt64(words, r);
      out[r] = !Number.isNaN(n) ? n : bigintToValue(int64At(data, r));
    }
  },
};

const ubigints: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const words = new Uint32Array(data.buffer, data.byteOffset, count * 2);
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const n = (words[2 * r + 1] as number) * TWO_32 + (words[2 * r] as number);
      out[r] =
        n <= MAX_SAFE ? n : new DataView(data.buffer, data.byteOffset).getBigUint64(8 * r, true).toString();
    }
  },
};

/** Microseconds since the epoch, as `isoFromEpochMicros` reads them (infinity → null). */
const timestamps: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const words = new Int32Array(data.buffer, data.byteOffset, count * 2);
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const micros = exactInt64(words, r);
      out[r] = !Number.isNaN(micros)
        ? isoFromEpochMicrosNumber(micros)
        : isoFromEpochMicros(int64At(data, r));
    }
  },
};

/** TIMESTAMP_S: seconds since the epoch, as `isoFromEpochSeconds` reads them. */
const timestampSeconds: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const words = new Int32Array(data.buffer, data.byteOffset, count * 2);
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const seconds = exactInt64(words, r);
      out[r] = isoFromEpochSeconds(!Number.isNaN(seconds) ? seconds : int64At(data, r));
    }
  },
};

/** TIMESTAMP_MS: milliseconds since the epoch, as `isoFromEpochMillisBigInt` reads them. */
const timestampMillis: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const words = new Int32Array(data.buffer, data.byteOffset, count * 2);
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const ms = exactInt64(words, r);
      out[r] = !Number.isNaN(ms) ? isoFromEpochMillis(ms) : isoFromEpochMillisBigInt(int64At(data, r));
    }
  },
};

/** TIMESTAMP_NS: nanoseconds since the epoch (beyond 2^53 from 1970-04-15 on, so read as bigints). */
const timestampNanos: ColumnReader = {
  width: 8,
  read(data, validity, count, out) {
    const view = new DataView(data.buffer, data.byteOffset);
    for (let r = 0; r < count; r++) {
      out[r] = isNull(validity, r) ? null : isoFromEpochNanos(view.getBigInt64(8 * r, true));
    }
  },
};

/**
 * DECIMAL(width, scale) is stored as a scaled integer of 16, 32, 64 or 128 bits by width; the value is
 * `decimalFromScaled`'s (a number when it prints back as the exact decimal, else the decimal text).
 */
function decimalReader(type: DuckDBTypeLike): ColumnReader | undefined {
  const { width, scale } = type;
  if (width === undefined || scale === undefined || !(scale >= 0 && scale <= 38)) return undefined;
  // Up to 6 decimals, every scaled 16/32-bit integer divided by 10^scale prints back as its decimal
  // (at most 9 significant digits, never below 10^-6): the division alone is the value.
  if (width <= 4) return smallDecimals(2, scale, (d, n) => new Int16Array(d.buffer, d.byteOffset, n));
  if (width <= 9) return smallDecimals(4, scale, (d, n) => new Int32Array(d.buffer, d.byteOffset, n));
  if (width <= 18) {
    // Below 10^15 and with at most 6 decimals the division is the value (see decimalFromScaled);
    // only wider or tinier values take the call that may build the text.
    const divisor = 10 ** scale;
    const direct = scale <= 6 ? 1e15 : 0;
    return {
      width: 8,
      read(data, validity, count, out) {
        const words = new Int32Array(data.buffer, data.byteOffset, count * 2);
        for (let r = 0; r < count; r++) {
          if (isNull(validity, r)) {
            out[r] = null;
            continue;
          }
          const n = exactInt64(words, r);
          if (n > -direct && n < direct) out[r] = n / divisor;
          else if (!Number.isNaN(n)) out[r] = decimalFromScaledNumber(n, scale);
          else out[r] = decimalFromScaled(int64At(data, r), scale);
        }
      },
    };
  }
  return {
    width: 16,
    read(data, validity, count, out) {
      // A hugeint is { uint64 lower; int64 upper }: when `upper` only extends `lower`'s sign, the
      // value fits 64 bits and is read like one.
      const words = new Int32Array(data.buffer, data.byteOffset, count * 4);
      const view = new DataView(data.buffer, data.byteOffset);
      for (let r = 0; r < count; r++) {
        if (isNull(validity, r)) {
          out[r] = null;
          continue;
        }
        const upperLow = words[4 * r + 2] as number;
        const upperHigh = words[4 * r + 3] as number;
        const lowerTop = words[4 * r + 1] as number;
        const extendsSign =
          lowerTop >= 0 ? upperLow === 0 && upperHigh === 0 : upperLow === -1 && upperHigh === -1;
        if (extendsSign) {
          const n = lowerTop * TWO_32 + ((words[4 * r] as number) >>> 0);
          out[r] =
            n >= -MAX_SAFE && n <= MAX_SAFE
              ? decimalFromScaledNumber(n, scale)
              : decimalFromScaled(view.getBigInt64(16 * r, true), scale);
        } else {
          const value = (view.getBigInt64(16 * r + 8, true) << 64n) | view.getBigUint64(16 * r, true);
          out[r] = decimalFromScaled(value, scale);
        }
      }
    },
  };
}

/** DECIMAL(<= 9): scaled 16- or 32-bit integers. */
function smallDecimals(
  width: number,
  scale: number,
  view: (data: Uint8Array, count: number) => Int16Array | Int32Array,
): ColumnReader {
  const divisor = 10 ** scale;
  if (scale <= 6) {
    return {
      width,
      read(data, validity, count, out) {
        const items = view(data, count);
        for (let r = 0; r < count; r++) out[r] = isNull(validity, r) ? null : (items[r] as number) / divisor;
      },
    };
  }
  return {
    width,
    read(data, validity, count, out) {
      const items = view(data, count);
      for (let r = 0; r < count; r++)
        out[r] = isNull(validity, r) ? null : decimalFromScaledNumber(items[r] as number, scale);
    },
  };
}
