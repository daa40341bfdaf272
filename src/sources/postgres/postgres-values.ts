/**
 * PostgreSQL values → the shared value model (core/values.ts). The source reads every value in
 * PostgreSQL's text format (exact for every type, and cheaper than pg's own parsers, which build a
 * `Date` per timestamp and round int8 through a double) and converts it by the column's type OID.
 * The session is set to `TimeZone=UTC`, `DateStyle=ISO, YMD`, `IntervalStyle=iso_8601`,
 * `bytea_output=hex` and `extra_float_digits=3` (postgres-source.ts), which fixes each type's text.
 */
import { decimalFromText } from '../../core/exact-decimal.js';
import { bigintToValue, finiteOrNull, float32ToNumber } from '../../core/normalise.js';
import { parseJsonText } from '../../core/parse-json-text.js';
import type { Value } from '../../core/values.js';
import { isoDateFromText, isoFromTimestampText, timeFromText } from '../parse-temporal-text.js';
import { parsePgArray } from './postgres-array.js';
import type { PgTextParser, PgTypes } from './postgres-client.js';

/** Type OIDs of the built-in types (pg_type.oid; fixed in every PostgreSQL since 8.x). */
export const PgOids = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

const NAME_BY_OID = new Map<number, string>(Object.entries(PgOids).map(([name, oid]) => [oid, name]));

/** The type's name for a column's OID ("int8"), or "oid N" for types outside PgOids. */
export function pgTypeName(oid: number): string {
  const name = NAME_BY_OID.get(oid);
  if (name !== undefined) return name;
  const element = ARRAY_ELEMENTS.get(oid);
  const elementName = element === undefined ? undefined : NAME_BY_OID.get(element);
  return elementName === undefined ? `oid ${oid}` : `${elementName}[]`;
}

/** Array type OID → its element type OID, for the built-in types above. */
const ARRAY_ELEMENTS: ReadonlyMap<number, number> = new Map([
  [1000, PgOids.bool],
  [1001, PgOids.bytea],
  [1002, PgOids.char],
  [1003, PgOids.name],
  [1016, PgOids.int8],
  [1005, PgOids.int2],
  [1007, PgOids.int4],
  [1009, PgOids.text],
  [1028, PgOids.oid],
  [199, PgOids.json],
  [1021, PgOids.float4],
  [1022, PgOids.float8],
  [1014, PgOids.bpchar],
  [1015, PgOids.varchar],
  [1182, PgOids.date],
  [1183, PgOids.time],
  [1115, PgOids.timestamp],
  [1185, PgOids.timestamptz],
  [1187, PgOids.interval],
  [1270, PgOids.timetz],
  [1231, PgOids.numeric],
  [2951, PgOids.uuid],
  [3807, PgOids.jsonb],
]);

const text: PgTextParser = (v) => v;

const bool: PgTextParser = (v) => v === 't';

/** int2/int4/oid always fit a double; int8 only up to 15 digits without a check. */
const smallInt: PgTextParser = (v) => Number(v);
const int8: PgTextParser = (v) => (v.length < 16 ? Number(v) : bigintToValue(BigInt(v)));

/** "NaN", "Infinity" and "-Infinity" become null, as JSON cannot carry them. */
const float8: PgTextParser = (v) => finiteOrNull(Number(v));
/** float4's text is its shortest form ("0.1"); Math.fround makes it the float the column holds. */
const float4: PgTextParser = (v) => float32ToNumber(Math.fround(Number(v)));
/** numeric: exact (a number when it prints back as the same decimal, else the text); NaN, ±Infinity → null. */
const numeric: PgTextParser = (v) => decimalFromText(v);

/** Every digit of the microseconds and any year (BC, 5–6 digits) kept; `infinity` and `-infinity` → null. */
const timestamp: PgTextParser = (v) => isoFromTimestampText(v) ?? null;
const date: PgTextParser = (v) => isoDateFromText(v) ?? null;
/** TIME: "HH:MM:SS[.fff]"; PostgreSQL's 24:00:00 stays as it is. */
const time: PgTextParser = (v) => timeFromText(v) ?? v;
/** TIME WITH TIME ZONE: the time as for TIME, the offset as PostgreSQL writes it ("+05:30"). */
const timetz: PgTextParser = (v) => {
  const at = Math.max(v.lastIndexOf('+'), v.lastIndexOf('-'));
  if (at < 0) return v;
  const offset = v.slice(at);
  return `${timeFromText(v.slice(0, at)) ?? v.slice(0, at)}${offset.length === 3 ? `${offset}:00` : offset}`;
};

/**
 * Runs a parser that could throw on text PostgreSQL would never send. It must not throw: pg calls
 * parsers inside its socket handler, where an exception would crash the process. The text is kept.
 */
function guarded(parse: PgTextParser): PgTextParser {
  return (v) => {
    try {
      return parse(v);
    } catch {
      return v;
    }
  };
}

/** JSON and JSONB: the parsed value, integers beyond 2^53 kept exact. */
const json: PgTextParser = guarded((v) => parseJsonText(v));

/** bytea in `hex` output: "\x0102…" → base64. */
const bytea: PgTextParser = (v) =>
  v.startsWith('\\x') ? Buffer.from(v.slice(2), 'hex').toString('base64') : Buffer.from(v).toString('base64');

/** The converter for one built-in scalar type; text for every other type (see README table). */
function scalarParser(oid: number): PgTextParser {
  switch (oid) {
    case PgOids.bool:
      return bool;
    case PgOids.int2:
    case PgOids.int4:
    case PgOids.oid:
      return smallInt;
    case PgOids.int8:
      return int8;
    case PgOids.float4:
      return float4;
    case PgOids.float8:
      return float8;
    case PgOids.numeric:
      return numeric;
    case PgOids.timestamp:
    case PgOids.timestamptz:
      return timestamp;
    case PgOids.date:
      return date;
    case PgOids.time:
      return time;
    case PgOids.timetz:
      return timetz;
    case PgOids.json:
    case PgOids.jsonb:
      return json;
    case PgOids.bytea:
      return bytea;
    default:
      // text, varchar, char, name, uuid (already lowercase), interval (ISO-8601 in the session's
      // IntervalStyle), enums, inet, bit strings, money, ranges …: PostgreSQL's own text.
      return text;
  }
}

/**
 * The converter for a column of type `oid`. Arrays of the built-in types become arrays of their
 * converted elements; arrays of other types (enums, domains over arrays) keep PostgreSQL's array
 * text, since their OIDs are not fixed — cast them in the model, e.g. `tags::text[]`.
 */
export function parserForOid(oid: number): PgTextParser {
  const element = ARRAY_ELEMENTS.get(oid);
  if (element === undefined) return scalarParser(oid);
  const parseElement = scalarParser(element);
  // box[] is the one built-in array whose delimiter is ';'; it is not in ARRAY_ELEMENTS.
  return guarded((v) => parsePgArray(v, parseElement as (text: string) => Value));
}

const parsers = new Map<number, PgTextParser>();

/** What the source hands pg as `types`: our text parsers, chosen once per OID. */
export const pgTypes: PgTypes = Object.freeze({
  getTypeParser(oid: number): PgTextParser {
    let parser = parsers.get(oid);
    if (parser === undefined) {
      parser = parserForOid(oid);
      if (parsers.size < 1024) parsers.set(oid, parser);
    }
    return parser;
  },
});
