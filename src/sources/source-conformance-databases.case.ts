/**
 * Test databases for the network sources, on the real servers of this machine (ARCHITECTURE.md:
 * one database per test file, graphile-worker's habit): PostgreSQL at 127.0.0.1:5432 (user
 * postgres, trust) and MariaDB/MySQL at 127.0.0.1:3306 (root, no password), or wherever
 * SLUICE_TEST_PG_URL / SLUICE_TEST_MYSQL_URL point. Each `create…Database` makes a fresh database
 * with a random name and `drop()` removes it. Also writes the conformance fixture into each engine.
 */
import { randomBytes } from 'node:crypto';
import * as duckdb from '@duckdb/node-api';
import Database from 'better-sqlite3';
import * as mysql from 'mysql2/promise';
import pg from 'pg';
import {
  type FixtureInput,
  type FixtureInputRow,
  USERS_COLUMNS,
  USERS_INPUT,
  usersColumnsFor,
  usersTableDdl,
} from './source-conformance-fixture.js';

export const PG_ADMIN_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_ADMIN_URL = process.env.SLUICE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A throwaway database: its URL, a way to run SQL in it, and `drop()`. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL (with `$1`/`?` parameters) in the database and returns the rows. */
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  drop(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A new PostgreSQL database named `<prefix>_<random>`. */
export async function createPostgresDatabase(prefix = 'sluice_src_pg'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  await admin.end();
  const url = withDatabase(PG_ADMIN_URL, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    async query(sql, params) {
      return (await client.query(sql, params)).rows;
    },
    async drop() {
      await client.end();
      const again = new pg.Client({ connectionString: PG_ADMIN_URL });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

/** A new MariaDB/MySQL database named `<prefix>_<random>`, in utf8mb4. */
export async function createMysqlDatabase(prefix = 'sluice_src_my'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection(MYSQL_ADMIN_URL);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = withDatabase(MYSQL_ADMIN_URL, name);
  const connection = await mysql.createConnection({
    uri: url,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  return {
    name,
    url,
    async query(sql, params) {
      const [rows] = await connection.query(sql, params);
      return Array.isArray(rows) ? rows : [];
    },
    async drop() {
      await connection.end();
      const again = await mysql.createConnection(MYSQL_ADMIN_URL);
      await again.query(`DROP DATABASE IF EXISTS ${name}`);
      await again.end();
    },
  };
}

const pgQuote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const myQuote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

/** A fixture timestamp with an offset ("2024-06-30 23:59:59.999-05") as UTC text for a DATETIME. */
function utcText(value: string): string {
  const iso = value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  // Date keeps milliseconds; an offset moves whole minutes, so the further digits stay as written.
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  return `${new Date(iso).toISOString().replace('T', ' ').replace('Z', '')}${fraction.slice(3)}`;
}

/** Creates and fills the conformance `users` table in a PostgreSQL test database. */
export async function writePostgresFixture(db: TestDatabase): Promise<void> {
  await db.query(usersTableDdl('postgres', pgQuote));
  const columns = usersColumnsFor('postgres');
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  for (const input of USERS_INPUT) {
    await db.query(`INSERT INTO users VALUES (${placeholders})`, pick(input, 'postgres'));
  }
}

/** Creates and fills the conformance `users` table in a MariaDB/MySQL test database. */
export async function writeMysqlFixture(db: TestDatabase): Promise<void> {
  await db.query(usersTableDdl('mysql', myQuote));
  const columns = usersColumnsFor('mysql');
  const createdAt = columns.findIndex((c) => c.name === 'created_at');
  for (const input of USERS_INPUT) {
    const values = pick(input, 'mysql');
    // MySQL has no zone-aware type: store the instant in UTC, as the fixture's DDL comment says.
    if (typeof values[createdAt] === 'string') values[createdAt] = utcText(values[createdAt] as string);
    await db.query(`INSERT INTO users VALUES (${columns.map(() => '?').join(', ')})`, values);
  }
}

/** Writes the conformance `users` table into a new SQLite file. */
export function writeSqliteFixture(path: string): void {
  const db = new Database(path);
  try {
    db.exec(usersTableDdl('sqlite', pgQuote));
    const columns = usersColumnsFor('sqlite');
    const insert = db.prepare(`INSERT INTO users VALUES (${columns.map(() => '?').join(', ')})`);
    for (const input of USERS_INPUT) {
      const values = pick(input, 'sqlite').map((v, i) => {
        if (typeof v === 'boolean') return v ? 1 : 0;
        // Integers as bigints, so ids beyond 2^53 go in exactly.
        if (i === 0 && typeof v === 'string') return BigInt(v);
        return v;
      });
      insert.run(...values);
    }
  } finally {
    db.close();
  }
}

/** The fixture's DuckDB column types, for `read_csv(…, columns = …)`. */
export function duckdbColumnTypes(): string {
  const entries = usersColumnsFor('duckdb').map((c) => `'${c.name}': '${c.ddl.duckdb}'`);
  return `{${entries.join(', ')}}`;
}

/** Writes the fixture as `users.csv`, `users.parquet` and `users.jsonl` into `dir`, with DuckDB. */
export async function writeFilesFixture(dir: string): Promise<void> {
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(usersTableDdl('duckdb', pgQuote));
    const rows = USERS_INPUT.map(
      (input) =>
        `(${input.map((v, i) => duckdbLiteral(v, USERS_COLUMNS[i]?.ddl.duckdb as string)).join(', ')})`,
    );
    await connection.run(`INSERT INTO users VALUES ${rows.join(', ')}`);
    await connection.run(`COPY users TO '${dir}/users.csv' (HEADER, DELIMITER ',')`);
    await connection.run(`COPY users TO '${dir}/users.parquet' (FORMAT PARQUET)`);
    await connection.run(`COPY users TO '${dir}/users.jsonl' (FORMAT JSON)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function duckdbLiteral(value: FixtureInput, type: string): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === null ? 'NULL' : String(v))).join(', ')}]::${type}`;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return `CAST('${String(value).replaceAll("'", "''")}' AS ${type})`;
}

/** The input values of the columns an engine has, as a mutable list of parameters. */
function pick(input: FixtureInputRow, engine: 'postgres' | 'mysql' | 'sqlite'): unknown[] {
  const out: unknown[] = [];
  USERS_COLUMNS.forEach((column, i) => {
    if (column.ddl[engine] !== null) out.push(input[i]);
  });
  return out;
}
