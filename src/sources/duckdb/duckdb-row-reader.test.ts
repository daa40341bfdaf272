import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../core/values.js';
import { loadRawBindings } from './duckdb-raw-bindings.js';
import { RowReader } from './duckdb-row-reader.js';

const bindings = loadRawBindings();
let instance: driver.DuckDBInstance;
let connection: driver.DuckDBConnection;

beforeAll(async () => {
  instance = await driver.DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** The rows of `sql` read from the vectors' bytes (column readers) and value by value (`getItem`). */
async function readBothWays(sql: string): Promise<{ columns: Row[]; items: Row[] }> {
  const result = await connection.stream(sql);
  const names = result.columnNames();
  const types = result.columnTypes();
  const fast = new RowReader(names, types, bindings);
  const slow = new RowReader(names, types);
  const columns: Row[] = [];
  const items: Row[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    columns.push(...fast.read(chunk));
    items.push(...slow.read(chunk));
  }
  return { columns, items };
}

// Thousands of rows, so that values span several chunks and nulls fall at every bit of the mask.
const ROWS = 'from range(5000) t(i)';

describe('RowReader: column readers give what getItem gives', () => {
  it('finds the raw bindings of the installed driver', () => {
    expect(bindings).toBeDefined();
  });

  // [what, expressions over i]: each becomes a column, with a null every 7th row besides its own.
  const cases: [string, string[]][] = [
    [
      'integers',
      [
        '(i * 37 % 256 - 128)::tinyint',
        '(i * 997 % 65536 - 32768)::smallint',
        '(i * 858993 - 2147483648)::integer',
        '(i % 256)::utinyint',
        '(i * 13)::usmallint',
        '(4294967295 - i)::uinteger',
      ],
    ],
    [
      'bigints',
      [
        `case i % 6 when 0 then 9007199254740991 - i when 1 then -9007199254740991 + i
          when 2 then 9007199254740992 + i when 3 then -9007199254740993 - i
          when 4 then i * 1234567890123 else -i end::bigint`,
        '(-9223372036854775808)::bigint + i',
        '(18446744073709551615 - i * 3000000000000)::ubigint',
        '(i * 7)::ubigint',
      ],
    ],
    [
      'floating point',
      [
        'i / 3.0',
        '(i / 7.0)::float',
        `case i % 4 when 0 then 'nan'::double when 1 then 'inf'::double when 2 then '-inf'::double
          else -i * 1e300 end`,
        `case i % 3 when 0 then 'nan'::float else (0.1 * i)::float end`,
      ],
    ],
    [
      'decimals',
      [
        '(i / 10 - 250)::decimal(4,1)',
        '(i * 123.457 - 300000)::decimal(9,3)',
        '((i - 2500) * 3987654.321987)::decimal(18,6)',
        '(i * 99999999999.99)::decimal(18,2)',
        '(i * 0.0001 - 0.25)::decimal(18,18)',
        '(i * 1e20)::decimal(38,10)',
        // Beyond a double's digits: exact text, in every storage width.
        "('1234567890123456' || lpad(i::varchar, 4, '0'))::decimal(38,0)",
        "('-99999999999999' || lpad(i::varchar, 4, '0'))::decimal(18,0)",
        '((i - 2500) * 123456789012345678901234.5678)::decimal(38,4)',
        '((i - 2500) * 0.00000001)::decimal(9,8)',
        '(i * 0.0000000001)::decimal(18,10)',
        '(i - 2500)::decimal(38,0)',
      ],
    ],
    [
      'timestamps and dates',
      [
        "timestamp '1969-12-31 23:59:59.9995' + to_microseconds(i * 123457)",
        "timestamptz '2024-03-01 12:00:00+00' + to_milliseconds(i * 1001)",
        `case i % 5 when 0 then 'infinity'::timestamp when 1 then '-infinity'::timestamp
          when 2 then timestamp '0001-01-01' when 3 then timestamp '10000-01-01' + to_days(i::integer)
          else timestamp '1900-02-28 23:59:59.999999' end`,
        "date '1969-12-31' + (i * 40)::integer",
        "case when i % 9 = 0 then 'infinity'::date else date '2024-02-29' end",
        // Microseconds kept; beyond JavaScript's Date range; every precision DuckDB has.
        "timestamp '2024-01-02 03:04:05' + to_microseconds(i * 100)",
        "timestamp '294247-01-10 04:00:54.775806' - to_microseconds(i * 86400000123)",
        "timestamp '290308-12-22 (BC) 00:00:00' + to_microseconds(i * 86400000123)",
        "date '5881580-07-10' - i::integer",
        `case i % 3 when 0 then 'infinity'::timestamp_s when 1 then '-infinity'::timestamp_s
          else (timestamp '0044-03-15 12:00:00' + to_seconds(i * 86401))::timestamp_s end`,
        `case i % 3 when 0 then 'infinity'::timestamp_ms
          else (timestamp '1969-12-31 23:59:59' + to_milliseconds(i * 1001))::timestamp_ms end`,
        `case i % 3 when 0 then 'infinity'::timestamp_ns
          else ('2024-01-02 03:04:05.' || lpad((i * 123457)::varchar, 9, '0'))::timestamp_ns end`,
      ],
    ],
    ['booleans', ['i % 3 = 0', 'case when i % 5 = 0 then null else i % 2 = 0 end']],
    [
      'strings',
      [
        "'user_' || i",
        "repeat('x', i % 40)",
        "'a somewhat longer string number ' || i",
        `case i % 4 when 0 then 'héllo wörld ünïcode 🦆 ' || i when 1 then chr(65279) || 'bom'
          when 2 then chr(65279) || 'a long string after a byte order mark ' || i else '' end`,
        "['Ada', 'Grace', 'Margaret', 'Katherine'][1 + i % 4]",
        // Characters decoders like to touch: NUL, combining marks, RTL marks, 4-byte characters.
        `case i % 6 when 0 then 'nul' || chr(0) || 'inside' when 1 then 'e' || chr(769) || ' combined'
          when 2 then chr(8207) || 'rtl ' || chr(8238) || 'override ' || i when 3 then '𝄞 𠀀 🏳️‍🌈 ' || i
          when 4 then chr(65279) || chr(65279) || 'two marks' else chr(65279) end`,
      ],
    ],
    [
      'json',
      [
        `('{"id": ' || i || ', "big": 9007199254740993, "s": "a string long enough ' || i || '"}')::json`,
        "case when i % 2 = 0 then '[1, 2.5, null]'::json end",
      ],
    ],
  ];

  it.each(cases)('%s', async (_, expressions) => {
    const columns = expressions.map((e, k) => `case when i % 7 = 3 then null else ${e} end as c${k}`);
    const { columns: fast, items } = await readBothWays(`select ${columns.join(', ')} ${ROWS}`);
    expect(fast).toHaveLength(5000);
    expect(fast).toStrictEqual(items);
  });

  it('keeps every character, a leading byte order mark included, at top level and nested', async () => {
    const strings = [
      '\uFEFFbom-key',
      'bom-key',
      '\uFEFFa longer string after a byte order mark',
      'nul\u0000x',
    ];
    // DuckDB's parser takes no NUL in a literal: chr(0) builds it.
    const literals = strings.map((t) => `'${t.replace('\u0000', "' || chr(0) || '")}'`);
    const sql = `select unnest([${literals.join(', ')}]) as s, [${literals.join(', ')}] as l,
      {'k': ${literals[0]}} as st`;
    const { columns, items } = await readBothWays(sql);
    expect(columns).toStrictEqual(items);
    expect(columns.map((r) => r.s)).toStrictEqual(strings);
    for (const row of columns) expect(row.l).toStrictEqual(strings);
    expect(columns[0]?.st).toStrictEqual({ k: '\uFEFFbom-key' });
  });

  it('reads strings many rows share (one copy of the bytes, several pointers to it)', async () => {
    const sql = `select s, i from (select repeat('shared bytes ', 3) || n as s from range(4) t(n))
      cross join range(1500) r(i) order by i`;
    const { columns, items } = await readBothWays(sql);
    expect(columns).toHaveLength(6000);
    expect(columns).toStrictEqual(items);
  });

  it('reads substrings and strings of a table scan', async () => {
    await connection.run(`create or replace table t as select 'row ' || i || ' ' || repeat('ü', i % 20) as s,
      md5(i::varchar) as h from range(10000) t(i)`);
    const { columns, items } = await readBothWays('select s, substr(h, 3, 20) as part, h from t');
    expect(columns).toHaveLength(10000);
    expect(columns).toStrictEqual(items);
  });

  it('keeps columns named after Object.prototype members as plain fields, in result order', async () => {
    const sql = `select 1 as "__proto__", 'x' as "constructor", 2 as "toString", 3 as "1", 4 as b`;
    const { columns, items } = await readBothWays(sql);
    expect(columns).toStrictEqual(items);
    expect(Object.getPrototypeOf(columns[0])).toBe(Object.prototype);
    expect(Object.keys(columns[0] ?? {})).toEqual(['1', '__proto__', 'constructor', 'toString', 'b']);
  });

  it('reads nested and other types value by value next to column-read ones', async () => {
    const sql = `select i, [i, null] as l, {'a': 'x' || i} as s, 'a'::enum('a', 'b') as e,
      '\\xAA'::blob as bl, interval (i) minute as iv, i::hugeint as h ${ROWS}`;
    const { columns, items } = await readBothWays(sql);
    expect(columns).toStrictEqual(items);
    expect(columns[1]).toEqual({ i: 1, l: [1, null], s: { a: 'x1' }, e: 'a', bl: 'qg==', iv: 'PT1M', h: 1 });
  });
});
