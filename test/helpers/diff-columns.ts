/**
 * The differential test's columns per engine: each engine's types with a generator of
 * what the type can hold, whether the test also syncs keyed on it, and edge values that every run
 * starts with (so the few default runs always meet the cases that once merged keys or changed values).
 */
import type fc from 'fast-check';
import {
  at,
  D38_0_EDGES,
  D38_10_EDGES,
  dec,
  F32_EDGES,
  F64_EDGES,
  JSON_EDGES,
  JSONL_EDGES,
  MARIADB_DOUBLE_TWINS,
  MARIADB_FLOAT_TWIN,
  STRING_EDGES,
  US_EDGES,
  WIDE_EDGES,
} from './diff-edges.js';
import { canonicalDecimal, daysFromCivil, type Gen } from './diff-oracle.js';
import {
  boolArb,
  bytesArb,
  dateArb,
  decimalArb,
  floatArb,
  intArb,
  jsonArb,
  stringArb,
  timestampArb,
  type Unit,
  uuidArb,
} from './diff-values.js';

/** One generated column of an engine's table. */
export interface DiffColumn {
  name: string;
  /** The engine's type (CREATE TABLE, or the type a files reader is told). */
  ddl: string;
  arb: fc.Arbitrary<Gen>;
  /** When set, a sync is also keyed on this column; values are unique under this equality. */
  key?: (g: Gen | null) => string;
  /** Values every run's first rows hold. */
  edges?: (Gen | null)[];
}

export type Engine = 'duckdb' | 'postgres' | 'mysql' | 'sqlite' | 'parquet' | 'csv' | 'jsonl';

/** Equality of generated values as every engine here compares them (-0 = 0, NaN = NaN). */
export function sameValue(g: Gen | null): string {
  if (g === null) return 'null';
  switch (g.t) {
    case 'int':
      return g.v.toString();
    case 'dec':
      return canonicalDecimal(g.u, g.scale);
    case 'float':
      return Object.is(g.v, -0) ? '0' : String(g.v);
    case 'ts':
      return g.ns.toString();
    case 'date':
      return String(g.days);
    case 'uuid':
      return g.text.toLowerCase();
    case 'str':
      return g.s;
    default:
      return JSON.stringify(g, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/** MariaDB's utf8mb4_bin is a PAD SPACE collation: 'a' and 'a ' are one key there. */
const padSpace = (g: Gen | null) => (g?.t === 'str' ? `s:${g.s.replace(/ +$/, '')}` : sameValue(g));

const anyJson = jsonArb({ inexact: true, topLevelNumbers: true });
function col(name: string, ddl: string, arb: fc.Arbitrary<Gen>, extra: Partial<DiffColumn> = {}): DiffColumn {
  return { name, ddl, arb, ...extra };
}

const UNIT_NS: Record<Unit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

/**
 * A timestamp column over [from, to): besides its own edges, always the last year of its range
 * and the first, one unit past the second, and an odd millisecond in the last year (so
 * sub-millisecond digits and years beyond JS Date's range are met on every run, whatever the seed).
 */
function tsCol(
  name: string,
  ddl: string,
  unit: Unit,
  from: number,
  to: number,
  extra: Partial<DiffColumn> = {},
): DiffColumn {
  // An odd millisecond count beyond 2^53 ms (years past ±285,000), where a double of epoch
  // milliseconds would round: 3.001001 s into the last year.
  const oddMs = unit === 's' ? 3_000_000_000n : unit === 'ms' ? 3_001_000_000n : 3_001_001_000n;
  const edges = [
    at(to - 1, UNIT_NS[unit]),
    at(to - 1, oddMs),
    at(from + 1, 7n * UNIT_NS[unit]),
    ...(extra.edges ?? []),
  ];
  return col(name, ddl, timestampArb(unit, from, to), { ...extra, edges });
}

/** A date column over [from, to), with its first and last years' first days as edges. */
function dateCol(
  name: string,
  ddl: string,
  from: number,
  to: number,
  extra: Partial<DiffColumn> = {},
): DiffColumn {
  const day = (year: number): Gen => ({ t: 'date', days: daysFromCivil(year, 1, 1) });
  return col(name, ddl, dateArb(from, to), { ...extra, edges: [day(to - 1), day(from + 1)] });
}

function duckdbColumns(parquet: boolean): DiffColumn[] {
  const [from, to] = [-290_000, 294_000];
  return [
    col('i8', 'TINYINT', intArb(8)),
    col('i32', 'INTEGER', intArb(32)),
    col('i64', 'BIGINT', intArb(64), { key: sameValue }),
    col('u64', 'UBIGINT', intArb(64, true)),
    // Parquet has no 128-bit integer: DuckDB writes HUGEINT there as a DOUBLE.
    ...(parquet ? [] : [col('i128', 'HUGEINT', intArb(128), { key: sameValue })]),
    col('d10_2', 'DECIMAL(10,2)', decimalArb(10, 2)),
    col('d18_6', 'DECIMAL(18,6)', decimalArb(18, 6), { edges: [dec(123456789012345678n, 6)] }),
    col('d38_0', 'DECIMAL(38,0)', decimalArb(38, 0), { key: sameValue, edges: D38_0_EDGES }),
    col('d38_10', 'DECIMAL(38,10)', decimalArb(38, 10), { key: sameValue, edges: D38_10_EDGES }),
    col('f32', 'FLOAT', floatArb(true, true), { edges: F32_EDGES }),
    col('f64', 'DOUBLE', floatArb(false, true), { key: sameValue, edges: F64_EDGES }),
    tsCol('ts_s', 'TIMESTAMP_S', 's', from, to),
    tsCol('ts_ms', 'TIMESTAMP_MS', 'ms', from, to),
    tsCol('ts_us', 'TIMESTAMP', 'us', from, to, { key: sameValue, edges: [...US_EDGES, ...WIDE_EDGES] }),
    tsCol('ts_ns', 'TIMESTAMP_NS', 'ns', 1678, 2262, { key: sameValue, edges: [at(2024, 1n), at(2024, 2n)] }),
    tsCol('tstz', 'TIMESTAMPTZ', 'us', from, to, { key: sameValue, edges: US_EDGES }),
    dateCol('dt', 'DATE', from, to, { key: sameValue }),
    col('uid', 'UUID', uuidArb, { key: sameValue }),
    col('s', 'VARCHAR', stringArb(true), { key: sameValue, edges: STRING_EDGES }),
    col('b', 'BLOB', bytesArb),
    col('bo', 'BOOLEAN', boolArb),
    col('j', 'JSON', anyJson, { edges: JSON_EDGES }),
  ];
}

function postgresColumns(): DiffColumn[] {
  const [from, to] = [-4_700, 294_000];
  return [
    col('i16', 'int2', intArb(16)),
    col('i32', 'int4', intArb(32)),
    col('i64', 'int8', intArb(64), { key: sameValue }),
    col('n10_2', 'numeric(10,2)', decimalArb(10, 2)),
    col('n38_0', 'numeric(38,0)', decimalArb(38, 0), { key: sameValue, edges: D38_0_EDGES }),
    col('n38_10', 'numeric(38,10)', decimalArb(38, 10), { key: sameValue, edges: D38_10_EDGES }),
    col('f32', 'float4', floatArb(true, true), { edges: F32_EDGES }),
    col('f64', 'float8', floatArb(false, true), { key: sameValue, edges: F64_EDGES }),
    tsCol('ts0', 'timestamp(0)', 's', from, to),
    tsCol('ts3', 'timestamp(3)', 'ms', from, to),
    tsCol('ts6', 'timestamp', 'us', from, to, {
      key: sameValue,
      edges: [...US_EDGES, ...WIDE_EDGES.slice(0, 1)],
    }),
    tsCol('tstz', 'timestamptz', 'us', from, to, { key: sameValue, edges: US_EDGES }),
    dateCol('dt', 'date', from, to, { key: sameValue }),
    col('uid', 'uuid', uuidArb, { key: sameValue }),
    col('s', 'text', stringArb(false), { key: sameValue, edges: STRING_EDGES }),
    col('b', 'bytea', bytesArb),
    col('bo', 'bool', boolArb),
    col('j', 'json', anyJson, { edges: JSON_EDGES }),
  ];
}

/** MariaDB's TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07.999999 UTC. */
const mariadbTimestamp = timestampArb('us', 1970, 2038).filter(
  (g) => g.t === 'ts' && g.ns >= 1_000_000_000n && g.ns < 2_147_483_648_000_000_000n,
);

function mysqlColumns(): DiffColumn[] {
  return [
    col('i8', 'TINYINT', intArb(8)),
    col('i32', 'INT', intArb(32)),
    col('i64', 'BIGINT', intArb(64), { key: sameValue }),
    col('u64', 'BIGINT UNSIGNED', intArb(64, true), { key: sameValue }),
    col('d10_2', 'DECIMAL(10,2)', decimalArb(10, 2)),
    col('d38_0', 'DECIMAL(38,0)', decimalArb(38, 0), { key: sameValue, edges: D38_0_EDGES }),
    col('d38_10', 'DECIMAL(38,10)', decimalArb(38, 10), { key: sameValue, edges: D38_10_EDGES }),
    col('d65_30', 'DECIMAL(65,30)', decimalArb(65, 30), { edges: [dec(10n ** 64n + 1n, 30)] }),
    col('f32', 'FLOAT', floatArb(true, false), { key: sameValue, edges: [...F32_EDGES, MARIADB_FLOAT_TWIN] }),
    col('f64', 'DOUBLE', floatArb(false, false), {
      key: sameValue,
      edges: [...F64_EDGES, ...MARIADB_DOUBLE_TWINS],
    }),
    tsCol('dt0', 'DATETIME', 's', 1000, 10_000),
    tsCol('dt3', 'DATETIME(3)', 'ms', 1000, 10_000),
    tsCol('dt6', 'DATETIME(6)', 'us', 1000, 10_000, { key: sameValue, edges: US_EDGES }),
    col('tsz', 'TIMESTAMP(6) NULL', mariadbTimestamp, {
      key: sameValue,
      edges: [at(2037, 1_000n), at(1971, 7_000n)],
    }),
    dateCol('dt', 'DATE', 1000, 10_000, { key: sameValue }),
    col('uid', 'UUID', uuidArb, { key: sameValue }),
    col('s', 'VARCHAR(255)', stringArb(true), { key: padSpace, edges: STRING_EDGES }),
    col('b', 'VARBINARY(64)', bytesArb),
    col('bo', 'BOOLEAN', boolArb),
    col('j', 'JSON', anyJson, { edges: JSON_EDGES }),
  ];
}

function sqliteColumns(): DiffColumn[] {
  return [
    col('i64', 'INTEGER', intArb(64), { key: sameValue }),
    col('f64', 'REAL', floatArb(false, true), { key: sameValue, edges: F64_EDGES }),
    tsCol('ts0', 'DATETIME', 's', 1, 10_000),
    tsCol('ts3', 'DATETIME', 'ms', 1, 10_000),
    tsCol('ts6', 'DATETIME', 'us', 1, 10_000, { key: sameValue, edges: US_EDGES }),
    tsCol('ts9', 'TIMESTAMP', 'ns', 1, 10_000),
    dateCol('dt', 'DATE', 1, 10_000, { key: sameValue }),
    col('s', 'TEXT', stringArb(true), { key: sameValue, edges: STRING_EDGES }),
    col('b', 'BLOB', bytesArb),
    col('bo', 'BOOLEAN', boolArb),
    col('j', 'JSON', jsonArb({ inexact: true, topLevelNumbers: false }), { edges: JSON_EDGES }),
  ];
}

/** CSV and JSON lines: text the files source is told the types of. */
function textFileColumns(jsonLines: boolean): DiffColumn[] {
  const [nul, nonFinite] = [jsonLines, !jsonLines];
  return [
    col('i64', 'BIGINT', intArb(64), { key: sameValue }),
    col('d38_10', 'DECIMAL(38,10)', decimalArb(38, 10), { key: sameValue, edges: D38_10_EDGES }),
    col('f64', 'DOUBLE', floatArb(false, nonFinite)),
    tsCol('ts_us', 'TIMESTAMP', 'us', 1, 10_000, { key: sameValue, edges: US_EDGES }),
    tsCol('ts_ns', 'TIMESTAMP_NS', 'ns', 1678, 2262),
    tsCol('tstz', 'TIMESTAMPTZ', 'us', 2, 9_999, { key: sameValue, edges: US_EDGES }),
    dateCol('dt', 'DATE', 1, 10_000),
    col('uid', 'UUID', uuidArb, { key: sameValue }),
    col('s', 'VARCHAR', stringArb(nul), { key: sameValue, edges: STRING_EDGES }),
    col('bo', 'BOOLEAN', boolArb),
    jsonLines
      ? col('j', 'JSON', jsonArb({ inexact: false, topLevelNumbers: true }), { edges: JSONL_EDGES })
      : col('j', 'JSON', anyJson, { edges: JSON_EDGES }),
  ];
}

/** The generated columns of an engine's table (besides `rid`, the row number). */
export function columnsFor(engine: Engine): DiffColumn[] {
  // Years outside 0000–9999 where the engine holds them: Segment's range, as wip/values reads it.
  const outside = ['duckdb', 'parquet', 'postgres'].includes(engine) ? [at(10_000), at(-1, 5_000n)] : [];
  const evTs = col('ev_ts', EVENT_TS[engine], timestampArb('us', 1970, 2100), {
    edges: [null, at(2024, 123_456_000n), ...outside],
  });
  return [...valueColumns(engine), evTs];
}

/** The type of `ev_ts`, an event sync's `timestamp` (1970–2100, null, and a few outside 0000–9999). */
const EVENT_TS: Record<Engine, string> = {
  duckdb: 'TIMESTAMPTZ',
  parquet: 'TIMESTAMPTZ',
  csv: 'TIMESTAMPTZ',
  jsonl: 'TIMESTAMPTZ',
  postgres: 'timestamptz',
  mysql: 'DATETIME(6)',
  sqlite: 'DATETIME',
};

function valueColumns(engine: Engine): DiffColumn[] {
  switch (engine) {
    case 'duckdb':
      return duckdbColumns(false);
    case 'parquet':
      return duckdbColumns(true);
    case 'postgres':
      return postgresColumns();
    case 'mysql':
      return mysqlColumns();
    case 'sqlite':
      return sqliteColumns();
    case 'csv':
      return textFileColumns(false);
    case 'jsonl':
      return textFileColumns(true);
  }
}
