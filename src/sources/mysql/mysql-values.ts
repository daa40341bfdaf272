/**
 * MySQL and MariaDB values → the shared value model (core/values.ts). Rows come in the binary
 * protocol (mysql-source.ts runs each model as a prepared statement): FLOAT and DOUBLE as their IEEE
 * bytes, exact, where the text protocol would have written them to 6 and 15 significant digits. The
 * driver is told to hand over BIGINT, DECIMAL, dates, timestamps and JSON as text (mysql-client.ts),
 * which is exact; a converter chosen once per column from its protocol type turns it into values.
 * The session runs with `time_zone = '+00:00'`, so TIMESTAMP columns come out in UTC.
 */
import { decimalFromText } from '../../core/exact-decimal.js';
import { base64FromBytes, bigintToValue, finiteOrNull, float32ToNumber } from '../../core/normalise.js';
import { parseJsonText } from '../../core/parse-json-text.js';
import { isPlainObject, type Value } from '../../core/values.js';
import { isoDateFromText, isoFromTimestampText, timeFromText } from '../parse-temporal-text.js';
import type { MysqlFieldLike } from './mysql-client.js';

/** Protocol column types (`enum_field_types` in MySQL's mysql_com.h; MariaDB shares them). */
export const MysqlTypes = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const BINARY_CHARSET = 63;

const NAME_BY_TYPE = new Map<number, string>(Object.entries(MysqlTypes).map(([name, id]) => [id, name]));

/** The protocol type's name of a column ("LONGLONG", "NEWDECIMAL"; "JSON" for MariaDB's JSON alias). */
export function mysqlTypeName(field: MysqlFieldLike): string {
  if (field.extendedFormat === 'json') return 'JSON';
  return NAME_BY_TYPE.get(field.columnType) ?? `type ${field.columnType}`;
}

/** Converts one non-null value as mysql2 gives it. */
export type MysqlConverter = (value: unknown) => Value;

const identity: MysqlConverter = (v) => v as Value;
/** BIGINT text: a double when exact, else the decimal text (also for BIGINT UNSIGNED up to 2^64 - 1). */
const bigint: MysqlConverter = (v) => {
  const text = v as string;
  return text.length < 16 ? Number(text) : bigintToValue(BigInt(text));
};
/** DECIMAL: exact (a number when it prints back as the same decimal, else the decimal text). */
const decimal: MysqlConverter = (v) => decimalFromText(v as string);
/** FLOAT: the shortest decimal that reads back as the same 32-bit float, as PostgreSQL's float4. */
const float: MysqlConverter = (v) => float32ToNumber(Math.fround(v as number));
const double: MysqlConverter = (v) => finiteOrNull(v as number);
/** The zero date ("0000-00-00") and other impossible dates become null, as in JDBC's convertToNull. */
const date: MysqlConverter = (v) => isoDateFromText(v as string) ?? null;
/** DATETIME(6)/TIMESTAMP(6): the microseconds kept; the zero date → null. */
const timestamp: MysqlConverter = (v) => isoFromTimestampText(v as string) ?? null;
/** TIME is a duration in MySQL (-838:59:59 … 838:59:59): sign and long hours are kept. */
const time: MysqlConverter = (v) => timeFromText(v as string) ?? (v as string);
const json: MysqlConverter = (v) => {
  try {
    return parseJsonText(v as string);
  } catch {
    return v as string;
  }
};
const bytesOrText: MysqlConverter = (v) => (Buffer.isBuffer(v) ? base64FromBytes(v) : (v as Value));

/** BIT(n) → "0101…", n digits, as DuckDB and PostgreSQL write bit strings. */
function bitString(bits: number): MysqlConverter {
  return (v) => {
    let out = '';
    for (const byte of v as Buffer) out += byte.toString(2).padStart(8, '0');
    return out.slice(Math.max(0, out.length - bits));
  };
}

/** GEOMETRY and VECTOR arrive parsed by mysql2 (`{x, y}` for a POINT, number arrays): kept if plain. */
function parsed(v: unknown): Value {
  if (typeof v === 'number') return finiteOrNull(v);
  if (Array.isArray(v)) return v.map(parsed);
  if (isPlainObject(v)) {
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(v)) out[key] = parsed(value);
    return out;
  }
  if (v instanceof Float32Array || v instanceof Float64Array) return Array.from(v, (n) => finiteOrNull(n));
  return v === undefined ? null : (v as Value);
}

/**
 * The converter for one column; see the README's table. MySQL has no boolean type: TINYINT(1) —
 * what `BOOLEAN` creates — reads as a boolean, and so does BIT(1). MariaDB's JSON (a LONGTEXT with a
 * json_valid check) is recognised through its extended metadata, as are its JSON functions' results.
 */
export function converterFor(field: MysqlFieldLike): MysqlConverter {
  if (field.extendedFormat === 'json') return json;
  const t = MysqlTypes;
  switch (field.columnType) {
    case t.TINY:
      return field.columnLength === 1 ? (v) => v !== 0 : identity;
    case t.SHORT:
    case t.LONG:
    case t.INT24:
    case t.YEAR:
    case t.NULL:
      return identity;
    case t.LONGLONG:
      return bigint;
    case t.FLOAT:
      return float;
    case t.DOUBLE:
      return double;
    case t.DECIMAL:
    case t.NEWDECIMAL:
      return decimal;
    case t.DATE:
    case t.NEWDATE:
      return date;
    case t.DATETIME:
    case t.TIMESTAMP:
      return timestamp;
    case t.TIME:
      return time;
    case t.JSON:
      return json;
    case t.BIT:
      return field.columnLength === 1 ? (v) => (v as Buffer)[0] === 1 : bitString(field.columnLength);
    case t.GEOMETRY:
    case t.VECTOR:
      return parsed;
    default:
      // Text types (VARCHAR, TEXT, ENUM, SET) as strings; their binary twins as base64.
      return field.characterSet === BINARY_CHARSET ? bytesOrText : identity;
  }
}
