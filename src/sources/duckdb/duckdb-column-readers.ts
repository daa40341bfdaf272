/**
 * Column readers for the common scalar types: they take a vector's bytes (one native call per column
 * per chunk, see duckdb-raw-bindings.ts) and write a whole column of normalised values in a tight
 * loop, with no per-value native call, value object or bigint. Each gives exactly what the matching
 * converter of duckdb-values.ts gives for `DuckDBVector#getItem`'s value (duckdb-row-reader.test.ts
 * compares the two); every other type is read value by value through those converters.
 */
import {
  bigintToValue,
  decimalToNumber,
  finiteOrNull,
  float32ToNumber,
  isoDateFromEpochDays,
  isoFromEpochMicros,
  isoFromEpochMillis,
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
 * The reader for a column of `type`, or undefined when it has no fast path (nested, temporal
 * types other than TIMESTAMP/DATE, HUGEINT, ENUM, BLOB…).
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

/** Exact integer division rounding toward −∞ (|n| <= 2^53, so `%` and the division are exact). */
function floorDiv(n: number, d: number): number {
  const rest = n % d;
  return (n - rest) / d - (rest < 0 ? 1 : 0);
}

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
        ? isoFromEpochMillis(floorDiv(micros, 1000))
        : isoFromEpochMicros(int64At(data, r));
    }
  },
};

/**
 * DECIMAL(width, scale) is stored as a scaled integer of 16, 32, 64 or 128 bits by width; the value is
 * `decimalToNumber`'s (an exact scaled integer divided by 10^scale, else through its text).
 */
function decimalReader(type: DuckDBTypeLike): ColumnReader | undefined {
  const { width, scale } = type;
  if (width === undefined || scale === undefined || !(scale >= 0 && scale <= 18)) return undefined;
  const divisor = 10 ** scale;
  if (width <= 4) return typed(2, (d, n) => scaled(new Int16Array(d.buffer, d.byteOffset, n), divisor));
  if (width <= 9) return typed(4, (d, n) => scaled(new Int32Array(d.buffer, d.byteOffset, n), divisor));
  if (width > 18) return undefined;
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
        out[r] = !Number.isNaN(n) ? n / divisor : decimalToNumber(int64At(data, r), scale);
      }
    },
  };
}

/** The scaled integers of a DECIMAL(<= 9) column divided by 10^scale (both exact doubles). */
function scaled(items: Int16Array | Int32Array, divisor: number): ArrayLike<number> {
  const values = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) values[i] = (items[i] as number) / divisor;
  return values;
}
