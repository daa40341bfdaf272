/**
 * Writes the differential test's generated rows into each engine: a table `t` of `rid`
 * (the row number) and the generated columns. Values go in from their generated form (epoch counts
 * through the engine's own date arithmetic, decimals as written with every scale digit), so the
 * engine, not the oracle, decides what they are. Text formats (SQLite's DATETIME text, CSV, JSON
 * lines) are written as an export would write them, some with a UTC offset.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import type { TestDatabase } from '../../src/sources/source-conformance-databases.case.js';
import type { DiffColumn, Engine } from './diff-columns.js';
import { civilFromDays, type Gen, isoDate, jsonText, writtenDecimal } from './diff-oracle.js';

/** One generated row: its number and a value (or null) per column. */
export interface DiffRow {
  rid: number;
  values: (Gen | null)[];
}

const NS_PER_DAY = 86_400_000_000_000n;
const US_PER_DAY = 86_400_000_000n;
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

function floatText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Object.is(v, -0) ? '-0.0' : String(v);
}

/** Fractional digits a timestamp needs to be written exactly (0, 3, 6 or 9). */
function digitsOf(ns: bigint): number {
  const fraction = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  if (fraction === 0n) return 0;
  if (fraction % 1_000_000n === 0n) return 3;
  return fraction % 1_000n === 0n ? 6 : 9;
}

/**
 * `YYYY-MM-DD HH:MM:SS[.fff…]` (years 1–9999) as an export writes it: `style` 0 plain, 1 with `T`
 * and `Z`, 2 in a +05:30 local time with its offset, 3 in a -08:00 local time.
 */
export function writtenTimestamp(ns: bigint, style: number): string {
  const offsetMinutes = style === 2 ? 330n : style === 3 ? -480n : 0n;
  const local = ns + offsetMinutes * 60_000_000_000n;
  const days = floorDiv(local, NS_PER_DAY);
  const inDay = local - days * NS_PER_DAY;
  const [y, m, d] = civilFromDays(days);
  const p = (n: bigint, w = 2) => n.toString().padStart(w, '0');
  const s = inDay / 1_000_000_000n;
  const digits = digitsOf(ns);
  const fraction = digits === 0 ? '' : `.${p(inDay % 1_000_000_000n, 9).slice(0, digits)}`;
  const text = `${p(y, 4)}-${p(m)}-${p(d)}${style === 1 ? 'T' : ' '}${p(s / 3600n)}:${p((s / 60n) % 60n)}:${p(s % 60n)}${fraction}`;
  if (style === 1) return `${text}Z`;
  return style === 2 ? `${text}+05:30` : style === 3 ? `${text}-08:00` : text;
}

/** A DuckDB SQL expression of a generated value, of type `ddl`. */
export function duckdbExpression(g: Gen | null, ddl: string): string {
  if (g === null) return `NULL::${ddl}`;
  switch (g.t) {
    case 'int':
      return `CAST(${g.v} AS ${ddl})`;
    case 'dec':
      return `${quote(writtenDecimal(g.u, g.scale))}::${ddl}`;
    case 'float':
      return `${quote(floatText(g.v))}::${ddl}`;
    case 'ts': {
      if (ddl === 'TIMESTAMP_NS') return `make_timestamp_ns(${g.ns}::BIGINT)`;
      const timestamp = `make_timestamp(${floorDiv(g.ns, 1000n)}::BIGINT)`;
      // TIMESTAMP → TIMESTAMPTZ goes through ICU, which counts in double milliseconds and loses
      // one beyond 2^53 ms (years past ±285,000); text with an explicit +00 does not.
      if (ddl === 'TIMESTAMPTZ') return `(${timestamp}::VARCHAR || '+00')::TIMESTAMPTZ`;
      return `${timestamp}::${ddl}`;
    }
    case 'date':
      return `(DATE '1970-01-01' + ${g.days}::INTEGER)`;
    case 'str':
      return `(${g.s.split('\u0000').map(quote).join(' || chr(0) || ')})::VARCHAR`;
    case 'bytes':
      return `from_hex('${hex(g.b)}')`;
    case 'bool':
      return String(g.v);
    case 'json':
      return `${quote(jsonText(g.j))}::JSON`;
    case 'uuid':
      return `${quote(g.text)}::UUID`;
  }
}

function createSql(columns: DiffColumn[], quoteName: (n: string) => string, ridType: string): string {
  return `CREATE TABLE t (rid ${ridType} PRIMARY KEY, ${columns.map((c) => `${quoteName(c.name)} ${c.ddl}`).join(', ')})`;
}

/** Fills a DuckDB database (a file, or a `:memory:` one copied to Parquet when `parquet` is set). */
export async function loadDuckdb(
  path: string,
  columns: DiffColumn[],
  rows: DiffRow[],
  parquet?: string,
): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run('DROP TABLE IF EXISTS t');
    await connection.run(createSql(columns, (n) => `"${n}"`, 'BIGINT'));
    const tuples = rows.map(
      (r) => `(${r.rid}, ${r.values.map((v, i) => duckdbExpression(v, columns[i]!.ddl)).join(', ')})`,
    );
    await connection.run(`INSERT INTO t VALUES ${tuples.join(',\n')}`);
    if (parquet) await connection.run(`COPY t TO '${parquet}' (FORMAT PARQUET)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A PostgreSQL expression for a value, adding its parameters to `params`. */
function postgresExpression(g: Gen | null, ddl: string, params: unknown[]): string {
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (g === null) return `NULL::${ddl}`;
  switch (g.t) {
    case 'int':
      return `${param(g.v.toString())}::${ddl}`;
    case 'dec':
      return `${param(writtenDecimal(g.u, g.scale))}::${ddl}`;
    case 'float':
      return `${param(floatText(g.v))}::${ddl}`;
    case 'ts': {
      const us = floorDiv(g.ns, 1000n);
      const days = floorDiv(us, US_PER_DAY);
      const base = ddl.startsWith('timestamptz') ? 'timestamptz' : 'timestamp';
      return `('epoch'::${base} + make_interval(days => ${param(String(days))}::int) + ${param(String(us - days * US_PER_DAY))}::float8 * interval '1 microsecond')::${ddl}`;
    }
    case 'date':
      return `('1970-01-01'::date + ${param(String(g.days))}::int)`;
    case 'bytes':
      return `decode(${param(hex(g.b))}, 'hex')`;
    case 'str':
      return `${param(g.s)}::text`;
    case 'bool':
      return `${param(g.v)}::bool`;
    case 'json':
      return `${param(jsonText(g.j))}::json`;
    case 'uuid':
      return `${param(g.text)}::uuid`;
  }
}

export async function loadPostgres(db: TestDatabase, columns: DiffColumn[], rows: DiffRow[]): Promise<void> {
  await db.query("SET TimeZone = 'UTC'");
  await db.query('DROP TABLE IF EXISTS t');
  await db.query(createSql(columns, (n) => `"${n}"`, 'int8'));
  for (const row of rows) {
    const params: unknown[] = [row.rid];
    const expressions = row.values.map((v, i) => postgresExpression(v, columns[i]!.ddl, params));
    await db.query(`INSERT INTO t VALUES ($1, ${expressions.join(', ')})`, params);
  }
}

/** A MariaDB expression for a value, adding its parameters to `params`. */
function mysqlExpression(g: Gen | null, params: unknown[]): string {
  const param = (v: unknown) => {
    params.push(v);
    return '?';
  };
  if (g === null) return 'NULL';
  switch (g.t) {
    case 'int':
      return param(g.v.toString());
    case 'dec':
      return param(writtenDecimal(g.u, g.scale));
    case 'float':
      return param(floatText(g.v));
    case 'ts': {
      const us = g.ns / 1000n;
      const days = floorDiv(us, US_PER_DAY);
      return `TIMESTAMPADD(MICROSECOND, ${param(Number(us - days * US_PER_DAY))}, TIMESTAMPADD(DAY, ${param(Number(days))}, TIMESTAMP'1970-01-01 00:00:00'))`;
    }
    case 'date':
      return `DATE_ADD(DATE'1970-01-01', INTERVAL ${param(g.days)} DAY)`;
    case 'bytes':
      return param(Buffer.from(g.b));
    case 'str':
      return param(g.s);
    case 'bool':
      return param(g.v ? 1 : 0);
    case 'json':
      return param(jsonText(g.j));
    case 'uuid':
      return param(g.text);
  }
}

export async function loadMysql(db: TestDatabase, columns: DiffColumn[], rows: DiffRow[]): Promise<void> {
  await db.query("SET time_zone = '+00:00'");
  await db.query('DROP TABLE IF EXISTS t');
  await db.query(createSql(columns, (n) => `\`${n}\``, 'BIGINT'));
  for (const row of rows) {
    const params: unknown[] = [row.rid];
    const expressions = row.values.map((v) => mysqlExpression(v, params));
    await db.query(`INSERT INTO t VALUES (?, ${expressions.join(', ')})`, params);
  }
}

/** A value as better-sqlite3 binds it (timestamps as text in one of four styles, by row). */
function sqliteValue(g: Gen | null, rid: number): unknown {
  if (g === null) return null;
  switch (g.t) {
    case 'int':
      return g.v;
    case 'float':
      return g.v;
    case 'ts':
      return writtenTimestamp(g.ns, rid % 4);
    case 'date':
      return isoDate(g.days);
    case 'bytes':
      return Buffer.from(g.b);
    case 'str':
      return g.s;
    case 'bool':
      return g.v ? 1 : 0;
    case 'json':
      return jsonText(g.j);
    default:
      throw new Error(`SQLite has no ${g.t} column here`);
  }
}

export function loadSqlite(path: string, columns: DiffColumn[], rows: DiffRow[]): void {
  const db = new Database(path);
  try {
    db.exec('DROP TABLE IF EXISTS t');
    db.exec(createSql(columns, (n) => `"${n}"`, 'INTEGER'));
    const insert = db.prepare(`INSERT INTO t VALUES (?, ${columns.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const row of rows) insert.run(row.rid, ...row.values.map((v) => sqliteValue(v, row.rid)));
    })();
  } finally {
    db.close();
  }
}

/** A value's text in a CSV field or a JSON line (`json`: the JSON token instead of CSV text). */
function fileText(g: Gen, ddl: string, rid: number, json: boolean): string {
  const text = (s: string) => (json ? JSON.stringify(s) : s);
  switch (g.t) {
    case 'int':
      return g.v.toString();
    case 'dec':
      return text(writtenDecimal(g.u, g.scale));
    case 'float':
      return json ? floatText(g.v) : floatText(g.v).replace('Infinity', 'inf');
    case 'ts':
      return text(writtenTimestamp(g.ns, ddl === 'TIMESTAMPTZ' ? rid % 4 : 0));
    case 'date':
      return text(isoDate(g.days));
    case 'str':
      return text(g.s);
    case 'bool':
      return String(g.v);
    case 'json':
      return jsonText(g.j);
    case 'uuid':
      return text(g.text);
    default:
      throw new Error(`no ${g.t} in text files here`);
  }
}

const csvField = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Writes `t.csv` or `t.jsonl` into `dir` and returns the model SQL that reads it with its types. */
export async function writeTextFile(
  dir: string,
  engine: Extract<Engine, 'csv' | 'jsonl'>,
  columns: DiffColumn[],
  rows: DiffRow[],
): Promise<string> {
  const types = `{'rid': 'BIGINT', ${columns.map((c) => `'${c.name}': '${c.ddl}'`).join(', ')}}`;
  if (engine === 'csv') {
    const header = ['rid', ...columns.map((c) => c.name)].join(',');
    const lines = rows.map((r) =>
      [
        r.rid,
        ...r.values.map((v, i) => (v === null ? '' : csvField(fileText(v, columns[i]!.ddl, r.rid, false)))),
      ].join(','),
    );
    await writeFile(join(dir, 't.csv'), `${header}\n${lines.join('\n')}\n`);
    return `SELECT * FROM read_csv('t.csv', header = true, allow_quoted_nulls = false, columns = ${types})`;
  }
  const lines = rows.map((r) => {
    const fields = r.values.map(
      (v, i) =>
        `${JSON.stringify(columns[i]!.name)}:${v === null ? 'null' : fileText(v, columns[i]!.ddl, r.rid, true)}`,
    );
    return `{"rid":${r.rid},${fields.join(',')}}`;
  });
  await writeFile(join(dir, 't.jsonl'), `${lines.join('\n')}\n`);
  return `SELECT * FROM read_json('t.jsonl', format = 'newline_delimited', columns = ${types})`;
}
