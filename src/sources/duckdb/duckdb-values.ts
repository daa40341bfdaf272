/**
 * DuckDB values → the shared value model (core/values.ts). A converter is chosen once per column from
 * its type, then applied to each value `DuckDBVector#getItem` gives: the definition of every type's
 * value. The common scalar types are read faster from the vectors' bytes (duckdb-column-readers.ts),
 * to the same values; the rest (nested, temporal, wide) go through these converters.
 */
import { decimalFromScaled } from '../../core/exact-decimal.js';
import {
  assignField,
  base64FromBytes,
  bigintToValue,
  finiteOrNull,
  float32ToNumber,
  isoDateFromEpochDays,
  isoDurationFromInterval,
  isoFromEpochMicros,
  isoFromEpochMillisBigInt,
  isoFromEpochNanos,
  isoFromEpochSeconds,
  mapKeyText,
  timeFromMicros,
  timeFromNanos,
  timeWithOffset,
} from '../../core/normalise.js';
import { parseJsonText } from '../../core/parse-json-text.js';
import type { Value } from '../../core/values.js';
import type { DuckDBTypeLike } from './duckdb-client.js';

/** `DuckDBTypeId` values (the C API's `duckdb_type` enum, stable across releases). */
export const DuckDBTypeIds = {
  INVALID: 0,
  BOOLEAN: 1,
  TINYINT: 2,
  SMALLINT: 3,
  INTEGER: 4,
  BIGINT: 5,
  UTINYINT: 6,
  USMALLINT: 7,
  UINTEGER: 8,
  UBIGINT: 9,
  FLOAT: 10,
  DOUBLE: 11,
  TIMESTAMP: 12,
  DATE: 13,
  TIME: 14,
  INTERVAL: 15,
  HUGEINT: 16,
  VARCHAR: 17,
  BLOB: 18,
  DECIMAL: 19,
  TIMESTAMP_S: 20,
  TIMESTAMP_MS: 21,
  TIMESTAMP_NS: 22,
  ENUM: 23,
  LIST: 24,
  STRUCT: 25,
  MAP: 26,
  UUID: 27,
  UNION: 28,
  BIT: 29,
  TIME_TZ: 30,
  TIMESTAMP_TZ: 31,
  UHUGEINT: 32,
  ARRAY: 33,
  ANY: 34,
  BIGNUM: 35,
  SQLNULL: 36,
  STRING_LITERAL: 37,
  INTEGER_LITERAL: 38,
  TIME_NS: 39,
  GEOMETRY: 40,
  VARIANT: 41,
} as const;

/** Converts one non-null DuckDB value (as `DuckDBVector#getItem` gives it) to a normalised value. */
export type ValueConverter = (value: unknown) => Value;

// Shapes of the driver's value objects (`DuckDBTimestampValue` …), read structurally.
type Micros = { micros: bigint };
type Items = { items: readonly unknown[] };
type Bytes = { bytes: Uint8Array };

/** The driver's value is already normalised (booleans, small integers, strings, enum labels). */
export const identity: ValueConverter = (v) => v as Value;
const bigint: ValueConverter = (v) => bigintToValue(v as bigint);
const text: ValueConverter = (v) => String(v);
const bytes: ValueConverter = (v) => base64FromBytes((v as Bytes).bytes);

/** Applies `convert` unless the value is null: nested values can be null anywhere. */
function nullable(convert: ValueConverter): ValueConverter {
  return convert === identity ? identity : (v) => (v === null || v === undefined ? null : convert(v));
}

/** DuckDB's JSON type (a VARCHAR aliased JSON) → the parsed value. */
export function json(v: unknown): Value {
  try {
    return parseJsonText(v as string);
  } catch {
    // DuckDB validates its JSON type, so this is a VARCHAR aliased JSON by hand: keep the text.
    return v as string;
  }
}

/**
 * The converter for a DuckDB type; see core/values.ts for the target forms. Throws `TypeError` for
 * the pseudo-types a query result never has (ANY, literals). Documented choices: INTERVAL → ISO-8601
 * duration ("P1Y2DT3H"); TIME WITH TIME ZONE → "HH:MM:SS[.fff]+HH:MM"; UNION → its member's value;
 * BIT → "0101…"; GEOMETRY → base64 of its WKB; DECIMAL → exact (`decimalFromScaled`); timestamps
 * of every precision → ISO-8601 with every nonzero digit and any year; `infinity` timestamps and
 * dates → null.
 */
export function converterFor(type: DuckDBTypeLike): ValueConverter {
  const ids = DuckDBTypeIds;
  switch (type.typeId) {
    case ids.BOOLEAN:
    case ids.TINYINT:
    case ids.SMALLINT:
    case ids.INTEGER:
    case ids.UTINYINT:
    case ids.USMALLINT:
    case ids.UINTEGER:
    case ids.ENUM:
    case ids.SQLNULL:
      return identity;
    case ids.VARCHAR:
      return type.alias === 'JSON' ? json : identity;
    case ids.BIGINT:
    case ids.UBIGINT:
    case ids.HUGEINT:
    case ids.UHUGEINT:
    case ids.BIGNUM:
      return bigint;
    case ids.FLOAT:
      return (v) => float32ToNumber(v as number);
    case ids.DOUBLE:
      return (v) => finiteOrNull(v as number);
    case ids.DECIMAL: {
      const scale = type.scale ?? 0;
      return (v) => decimalFromScaled((v as { value: bigint }).value, scale);
    }
    case ids.TIMESTAMP:
    case ids.TIMESTAMP_TZ:
      return (v) => isoFromEpochMicros((v as Micros).micros);
    case ids.TIMESTAMP_S:
      return (v) => isoFromEpochSeconds((v as { seconds: bigint }).seconds);
    case ids.TIMESTAMP_MS:
      return (v) => isoFromEpochMillisBigInt((v as { millis: bigint }).millis);
    case ids.TIMESTAMP_NS:
      return (v) => isoFromEpochNanos((v as { nanos: bigint }).nanos);
    case ids.DATE:
      return (v) => isoDateFromEpochDays((v as { days: number }).days);
    case ids.TIME:
      return (v) => timeFromMicros((v as Micros).micros);
    case ids.TIME_NS:
      return (v) => timeFromNanos(Number((v as { nanos: bigint }).nanos));
    case ids.TIME_TZ:
      return (v) => timeWithOffset((v as Micros).micros, (v as { offset: number }).offset);
    case ids.INTERVAL:
      return (v) => {
        const i = v as { months: number; days: number; micros: bigint };
        return isoDurationFromInterval(i.months, i.days, i.micros);
      };
    case ids.UUID:
    case ids.BIT:
      return text;
    case ids.BLOB:
    case ids.GEOMETRY:
      return bytes;
    case ids.LIST:
    case ids.ARRAY: {
      const item = nullable(converterFor(required(type.valueType, type)));
      return (v) => (v as Items).items.map(item);
    }
    case ids.STRUCT:
      return structConverter(required(type.entryNames, type), required(type.entryTypes, type));
    case ids.MAP: {
      const key = nullable(converterFor(required(type.keyType, type)));
      const value = nullable(converterFor(required(type.valueType, type)));
      return (v) => {
        const out: Record<string, Value> = {};
        for (const entry of (v as { entries: readonly { key: unknown; value: unknown }[] }).entries) {
          assignField(out, mapKeyText(key(entry.key)), value(entry.value));
        }
        return out;
      };
    }
    case ids.UNION: {
      // Members are told apart by their tag; convert each with its own type.
      const members = required(type.memberTypes, type).map((t) => nullable(converterFor(t)));
      const tags = required(type.memberTags, type);
      return (v) => {
        const u = v as { tag: string; value: unknown };
        const convert = members[tags.indexOf(u.tag)];
        return convert === undefined ? untyped(u.value) : convert(u.value);
      };
    }
    case ids.VARIANT:
      return (v) => {
        const variant = v as { value: unknown; type?: DuckDBTypeLike };
        if (variant.value === null || variant.value === undefined) return null;
        return variant.type === undefined
          ? untyped(variant.value)
          : cachedConverter(variant.type)(variant.value);
      };
    default:
      throw new TypeError(`DuckDB type ${type.toString()} is not supported`);
  }
}

function structConverter(names: readonly string[], types: readonly DuckDBTypeLike[]): ValueConverter {
  const fields = names.map((name, i) => ({
    name,
    convert: nullable(converterFor(types[i] as DuckDBTypeLike)),
  }));
  return (v) => {
    const entries = (v as { entries: Readonly<Record<string, unknown>> }).entries;
    const out: Record<string, Value> = {};
    for (const field of fields) assignField(out, field.name, field.convert(entries[field.name] ?? null));
    return out;
  };
}

// VARIANT values carry their own type, so their converters are built per type and remembered.
const variantConverters = new Map<string, ValueConverter>();

function cachedConverter(type: DuckDBTypeLike): ValueConverter {
  const key = `${type.typeId}:${type.alias ?? ''}:${type.toString()}`;
  let convert = variantConverters.get(key);
  if (convert === undefined) {
    if (variantConverters.size >= 256) variantConverters.clear();
    convert = nullable(converterFor(type));
    variantConverters.set(key, convert);
  }
  return convert;
}

/** A value whose type is unknown: primitives as the model has them, bigints exact, the rest as text. */
function untyped(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return bigintToValue(v);
  if (typeof v === 'number') return finiteOrNull(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

function required<T>(part: T | undefined, type: DuckDBTypeLike): T {
  if (part === undefined) throw new TypeError(`DuckDB type ${type.toString()} arrived without its parts`);
  return part;
}
