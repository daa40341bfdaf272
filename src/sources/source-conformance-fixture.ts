/**
 * The `users` table every source's conformance suite reads (source-conformance.case.ts): the same
 * rows in every engine, chosen where engines and drivers go wrong — integers beyond 2^53, quotes and
 * emoji, empty strings against NULL, decimals, time zones, instants before 1970, JSON holding a big
 * integer, lists with NULLs. The data is engine-neutral text; each engine's test creates the table
 * from `usersTableDdl(engine)` and inserts `USERS_INPUT` with its own client (parameters or literals).
 */
import type { Row } from '../core/values.js';

/** The engines the fixture has DDL for ("files" sources write the DuckDB table out as files). */
export type FixtureEngine = 'duckdb' | 'postgres' | 'mysql' | 'sqlite';

export interface FixtureColumn {
  name: string;
  /** Column type per engine; null where the engine has no such type (the column is left out). */
  ddl: Readonly<Record<FixtureEngine, string | null>>;
  /** What an input value of this column is, for engines that insert with parameters. */
  input: string;
}

export const USERS_COLUMNS: readonly FixtureColumn[] = [
  {
    name: 'id',
    ddl: { duckdb: 'BIGINT', postgres: 'BIGINT', mysql: 'BIGINT', sqlite: 'INTEGER' },
    input: 'decimal text',
  },
  {
    name: 'name',
    ddl: { duckdb: 'VARCHAR', postgres: 'TEXT', mysql: 'VARCHAR(200) CHARACTER SET utf8mb4', sqlite: 'TEXT' },
    input: 'text',
  },
  {
    name: 'visits',
    ddl: { duckdb: 'INTEGER', postgres: 'INTEGER', mysql: 'INT', sqlite: 'INTEGER' },
    input: 'number',
  },
  {
    name: 'score',
    ddl: {
      duckdb: 'DECIMAL(10,2)',
      postgres: 'NUMERIC(10,2)',
      mysql: 'DECIMAL(10,2)',
      sqlite: 'NUMERIC(10,2)',
    },
    input: 'decimal text',
  },
  {
    name: 'active',
    ddl: { duckdb: 'BOOLEAN', postgres: 'BOOLEAN', mysql: 'BOOLEAN', sqlite: 'BOOLEAN' },
    input: 'boolean',
  },
  {
    name: 'created_at',
    // MySQL has no zone-aware type: its test stores the instant converted to UTC in a DATETIME(6).
    // SQLite keeps the text as given, offset and all; its declared type makes the source read it.
    ddl: { duckdb: 'TIMESTAMPTZ', postgres: 'TIMESTAMPTZ', mysql: 'DATETIME(6)', sqlite: 'DATETIME' },
    input: 'timestamp text with a UTC offset, "YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM]"',
  },
  {
    name: 'seen_at',
    ddl: { duckdb: 'TIMESTAMP', postgres: 'TIMESTAMP', mysql: 'DATETIME(6)', sqlite: 'TIMESTAMP' },
    input: 'timestamp text without zone, "YYYY-MM-DD HH:MM:SS[.ffffff]"',
  },
  {
    name: 'birthday',
    ddl: { duckdb: 'DATE', postgres: 'DATE', mysql: 'DATE', sqlite: 'DATE' },
    input: 'YYYY-MM-DD',
  },
  {
    name: 'profile',
    ddl: { duckdb: 'JSON', postgres: 'JSON', mysql: 'JSON', sqlite: 'JSON' },
    input: 'JSON text',
  },
  {
    name: 'tags',
    ddl: { duckdb: 'INTEGER[]', postgres: 'INTEGER[]', mysql: null, sqlite: null },
    input: 'number[]',
  },
];

export type FixtureInput = string | number | boolean | null | readonly (number | null)[];

/** One input row: values in `USERS_COLUMNS` order, in the forms that column's `input` names. */
export type FixtureInputRow = readonly FixtureInput[];

/** Input rows paired with the row every source must yield for them. */
// biome-ignore format: one row per line reads as a table
const CASES: readonly { input: FixtureInputRow; expected: Row }[] = [
  row(['9007199254740993', `O'Brien "Bob" 🦆`, 3, '12.34', true, '2024-01-02 03:04:05.678+00', '2024-01-02 03:04:05.678', '1990-05-17', '{"plan":"pro","seats":3,"tags":["a","b"]}', [1, 2, 3]],
    ['9007199254740993', `O'Brien "Bob" 🦆`, 3, 12.34, true, '2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z', '1990-05-17', { plan: 'pro', seats: 3, tags: ['a', 'b'] }, [1, 2, 3]]),
  row(['-42', 'Zoë Ångström', -7, '-0.01', false, '2024-06-30 23:59:59.999-05', '2024-06-30 23:59:59.999', '2000-02-29', '[1,"two",null,{"three":3.5}]', []],
    [-42, 'Zoë Ångström', -7, -0.01, false, '2024-07-01T04:59:59.999Z', '2024-06-30T23:59:59.999Z', '2000-02-29', [1, 'two', null, { three: 3.5 }], []]),
  row(['1', null, null, null, null, null, null, null, null, null],
    [1, null, null, null, null, null, null, null, null, null]),
  row(['-9007199254740993', 'こんにちは 世界', 0, '0.00', true, '1969-12-31 23:59:59.999999+00', '1969-12-31 23:59:59.9995', '1969-12-31', '"just a string"', [-1, 0, 1]],
    ['-9007199254740993', 'こんにちは 世界', 0, 0, true, '1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.9995Z', '1969-12-31', 'just a string', [-1, 0, 1]]),
  row(['9223372036854775807', '', 2147483647, '99999999.99', false, '2038-01-19 03:14:08+00', '2100-01-01 00:00:00', '1900-01-01', '{"big":9007199254740993,"nested":{"ok":true}}', [2147483647]],
    ['9223372036854775807', '', 2147483647, 99999999.99, false, '2038-01-19T03:14:08.000Z', '2100-01-01T00:00:00.000Z', '1900-01-01', { big: '9007199254740993', nested: { ok: true } }, [2147483647]]),
  row(['-9223372036854775808', 'tab\there\nnewline \\ backslash', -2147483648, '-99999999.99', null, '2024-02-29 12:00:00.5+01:30', '2024-02-29 12:00:00.5', '2024-02-29', '{}', [null, 5]],
    ['-9223372036854775808', 'tab\there\nnewline \\ backslash', -2147483648, -99999999.99, null, '2024-02-29T10:30:00.500Z', '2024-02-29T12:00:00.500Z', '2024-02-29', {}, [null, 5]]),
  row(['9007199254740991', 'emoji 👩‍💻 zwj', 1, '0.10', true, '2024-01-02 03:04:05+00', '2024-01-02 03:04:05', '1999-12-31', '{"quote":"say \\"hi\\"","unicode":"é😀"}', [1]],
    [9007199254740991, 'emoji 👩‍💻 zwj', 1, 0.1, true, '2024-01-02T03:04:05.000Z', '2024-01-02T03:04:05.000Z', '1999-12-31', { quote: 'say "hi"', unicode: 'é😀' }, [1]]),
  row(['-9007199254740991', "'; drop table users; --", 42, '1234.50', false, null, null, null, null, null],
    [-9007199254740991, "'; drop table users; --", 42, 1234.5, false, null, null, null, null, null]),
  row(['0', 'zero', 10, '1.00', true, '2020-05-05 05:05:05.005+00', '2020-05-05 05:05:05.005', '2020-05-05', '{"n":0}', [0]],
    [0, 'zero', 10, 1, true, '2020-05-05T05:05:05.005Z', '2020-05-05T05:05:05.005Z', '2020-05-05', { n: 0 }, [0]]),
  row(['2', 'Ada', 20, '20.25', true, '2021-03-14 15:09:26.535+00', '2021-03-14 15:09:26.535', '1815-12-10', '{"n":2}', [2, 2]],
    [2, 'Ada', 20, 20.25, true, '2021-03-14T15:09:26.535Z', '2021-03-14T15:09:26.535Z', '1815-12-10', { n: 2 }, [2, 2]]),
  row(['3', 'Grace', 30, '30.50', false, '2022-12-09 23:00:00+00', '2022-12-09 23:00:00', '1906-12-09', '{"n":3}', [3]],
    [3, 'Grace', 30, 30.5, false, '2022-12-09T23:00:00.000Z', '2022-12-09T23:00:00.000Z', '1906-12-09', { n: 3 }, [3]]),
  row(['4', 'Linus', 40, '40.75', true, '2023-08-25 20:57:08+00', '2023-08-25 20:57:08', '1969-12-28', '{"n":4}', [4]],
    [4, 'Linus', 40, 40.75, true, '2023-08-25T20:57:08.000Z', '2023-08-25T20:57:08.000Z', '1969-12-28', { n: 4 }, [4]]),
];

function row(
  input: FixtureInputRow,
  expected: readonly unknown[],
): { input: FixtureInputRow; expected: Row } {
  const out: Row = {};
  USERS_COLUMNS.forEach((column, i) => {
    out[column.name] = expected[i] as Row[string];
  });
  return { input, expected: out };
}

/** The rows to insert, in `USERS_COLUMNS` order (not sorted). */
export const USERS_INPUT: readonly FixtureInputRow[] = CASES.map((c) => c.input);

/** The columns an engine has: the fixture without those whose DDL is null for it. */
export function usersColumnsFor(engine: FixtureEngine): readonly FixtureColumn[] {
  return USERS_COLUMNS.filter((column) => column.ddl[engine] !== null);
}

/** `CREATE TABLE users (…)` for an engine, quoting names with `quote`. */
export function usersTableDdl(engine: FixtureEngine, quote: (name: string) => string): string {
  const columns = usersColumnsFor(engine).map((c) => `${quote(c.name)} ${c.ddl[engine]}`);
  return `CREATE TABLE ${quote('users')} (${columns.join(', ')})`;
}

/**
 * What every source must yield for `SELECT <the engine's columns> FROM users ORDER BY id`: the
 * normalised rows (core/values.ts), in id order, with the engine's columns in fixture order.
 */
export function expectedUsers(engine: FixtureEngine): Row[] {
  const names = usersColumnsFor(engine).map((c) => c.name);
  return [...CASES]
    .sort((a, b) => compareIds(a.input[0] as string, b.input[0] as string))
    .map((c) => Object.fromEntries(names.map((name) => [name, c.expected[name] ?? null])) as Row);
}

function compareIds(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
