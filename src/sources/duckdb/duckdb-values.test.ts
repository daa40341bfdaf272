import * as driver from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { Value } from '../../core/values.js';
import { collectBatches } from '../source-conformance.case.js';
import { DuckDBSource } from './duckdb-source.js';
import { DuckDBTypeIds } from './duckdb-values.js';

const source = new DuckDBSource(
  driver,
  { type: 'duckdb', path: ':memory:' },
  { name: 'w', workspaceDir: '/' },
);

afterAll(() => source.close());

async function read(expression: string): Promise<Value | undefined> {
  return (await collectBatches(source, `select ${expression} as v`, 10)).flat()[0]?.v;
}

// [DuckDB expression, normalised value]: one row per type and per edge the value model names.
const cases: [string, Value][] = [
  ['true', true],
  ['false', false],
  ['null', null],
  ['null::timestamp', null],
  ['(-128)::tinyint', -128],
  ['(-32768)::smallint', -32768],
  ['(-2147483648)::integer', -2147483648],
  ['255::utinyint', 255],
  ['65535::usmallint', 65535],
  ['4294967295::uinteger', 4294967295],
  ['9007199254740991::bigint', 9007199254740991],
  ['(-9007199254740991)::bigint', -9007199254740991],
  ['9007199254740992::bigint', '9007199254740992'],
  ['9007199254740993::bigint', '9007199254740993'],
  ['(-9007199254740993)::bigint', '-9007199254740993'],
  ['(-9223372036854775808)::bigint', '-9223372036854775808'],
  ['18446744073709551615::ubigint', '18446744073709551615'],
  ['(-1)::hugeint', -1],
  ['170141183460469231731687303715884105727::hugeint', '170141183460469231731687303715884105727'],
  ['340282366920938463463374607431768211455::uhugeint', '340282366920938463463374607431768211455'],
  ['123456789012345678901234567890::varint', '123456789012345678901234567890'],
  ['0.1::float', 0.1],
  ['1.5::float', 1.5],
  ["'nan'::float", null],
  ["'inf'::float", null],
  ['0.1::double + 0.2::double', 0.30000000000000004],
  ['1e308::double', 1e308],
  ["'nan'::double", null],
  ["'-inf'::double", null],
  ['12.34::decimal(10,2)', 12.34],
  ['(-0.01)::decimal(10,2)', -0.01],
  ['123.4::decimal(4,1)', 123.4],
  ['123456789012.345678::decimal(18,6)', '123456789012.345678'],
  ['1234567890123456789::decimal(38,0)', '1234567890123456789'],
  ['1.50::decimal(10,2)', 1.5],
  ['0.0000001::decimal(9,8)', '0.0000001'],
  ['12345678901234567890.1234567890::decimal(38,10)', '12345678901234567890.123456789'],
  ['0.000000000000000000000000000001::decimal(38,30)', '0.000000000000000000000000000001'],
  ["timestamp '2024-01-02 03:04:05.6789'", '2024-01-02T03:04:05.6789Z'],
  ["timestamp '294247-01-10 04:00:54.775806'", '+294247-01-10T04:00:54.775806Z'],
  ["timestamp '290309-12-22 (BC) 00:00:00'", '-290308-12-22T00:00:00.000Z'],
  ["timestamp '1969-12-31 23:59:59.9995'", '1969-12-31T23:59:59.9995Z'],
  ["timestamp '0001-01-01 00:00:00'", '0001-01-01T00:00:00.000Z'],
  ["timestamp '10000-01-01 00:00:00'", '+010000-01-01T00:00:00.000Z'],
  ["'infinity'::timestamp", null],
  ["'-infinity'::timestamp", null],
  ["timestamptz '2024-01-02 03:04:05.678+02'", '2024-01-02T01:04:05.678Z'],
  ["'infinity'::timestamptz", null],
  ["'2024-01-02 03:04:05'::timestamp_s", '2024-01-02T03:04:05.000Z'],
  ["'2024-01-02 03:04:05.678'::timestamp_ms", '2024-01-02T03:04:05.678Z'],
  ["'2024-01-02 03:04:05.678999999'::timestamp_ns", '2024-01-02T03:04:05.678999999Z'],
  ["'1969-12-31 23:59:59.999999999'::timestamp_ns", '1969-12-31T23:59:59.999999999Z'],
  ["date '2024-02-29'", '2024-02-29'],
  ["date '0044-03-15'", '0044-03-15'],
  ["date '1969-12-31'", '1969-12-31'],
  ["'infinity'::date", null],
  ["time '12:34:56'", '12:34:56'],
  ["time '12:34:56.789'", '12:34:56.789'],
  ["time '23:59:59.999999'", '23:59:59.999999'],
  ["time '00:00:00.001'", '00:00:00.001'],
  ["'12:34:56.123456789'::time_ns", '12:34:56.123456789'],
  ["timetz '12:34:56.789+05:30'", '12:34:56.789+05:30'],
  ["timetz '01:02:03-08'", '01:02:03-08:00'],
  ["interval '1 year 2 months 3 days 04:05:06.5'", 'P1Y2M3DT4H5M6.5S'],
  ["interval '0 seconds'", 'PT0S'],
  ["interval '-1 hour -30 minutes'", 'PT-1H-30M'],
  ["interval '-2 months 3 days'", 'P-2M3D'],
  ["interval '14 months'", 'P1Y2M'],
  ["interval '0.000001 seconds'", 'PT0.000001S'],
  ["'héllo 🦆'", 'héllo 🦆'],
  ["'\uFEFFbom-key'", '\uFEFFbom-key'],
  ["['\uFEFFbom-key', 'x']", ['\uFEFFbom-key', 'x']],
  ["map {'\uFEFFk': '\uFEFFv'}", { '\uFEFFk': '\uFEFFv' }],
  [
    '[1234567890123456789::decimal(38,0), 1234567890123456790::decimal(38,0), 7]',
    ['1234567890123456789', '1234567890123456790', 7],
  ],
  ['[1.50::decimal(10,2), 0.0000001]', [1.5, '0.0000001']],
  [
    "[timestamp '2024-01-02 03:04:05', timestamp '2024-01-02 03:04:05.0001']",
    ['2024-01-02T03:04:05.000Z', '2024-01-02T03:04:05.0001Z'],
  ],
  ['(-1234567890123456789)::decimal(38,0)', '-1234567890123456789'],
  ['42::decimal(38,0)', 42],
  ['(-0.5)::decimal(38,2)', -0.5],
  ["'-12345678901234567890123456789012345.67'::decimal(37,2)", '-12345678901234567890123456789012345.67'],
  ['999999999999999999::decimal(18,0)', '999999999999999999'],
  ["'infinity'::timestamp_ns", null],
  ["'2262-04-11 23:47:16.854775806'::timestamp_ns", '2262-04-11T23:47:16.854775806Z'],
  ["'0044-03-15 (BC) 12:00:00'::timestamp_s", '-000043-03-15T12:00:00.000Z'],
  ["'infinity'::timestamp_ms", null],
  ["'294247-01-10 04:00:54.775'::timestamp_ms", '+294247-01-10T04:00:54.775Z'],
  ["date '5881580-07-10'", '+5881580-07-10'],
  ["''", ''],
  [`'{"a":[1,2,{"b":null}]}'::json`, { a: [1, 2, { b: null }] }],
  [`'{"id":9007199254740993,"x":1.5}'::json`, { id: '9007199254740993', x: 1.5 }],
  ["'9007199254740993'::json", '9007199254740993'],
  ["'true'::json", true],
  [`'"s"'::json`, 's'],
  ['[1, 2, null]', [1, 2, null]],
  ['[[1], [2, 3], []]', [[1], [2, 3], []]],
  ["['a', null]", ['a', null]],
  ['[9007199254740993::bigint, 1::bigint]', ['9007199254740993', 1]],
  ["[timestamp '2024-01-02 03:04:05', null]", ['2024-01-02T03:04:05.000Z', null]],
  ['[]::integer[]', []],
  ['[1, 2, 3]::integer[3]', [1, 2, 3]],
  [`['{"a":1}'::json]`, [{ a: 1 }]],
  ["{'a': 1, 'b': 'x', 'c': null, 'd': {'e': [1.5::double]}}", { a: 1, b: 'x', c: null, d: { e: [1.5] } }],
  ["map {'k1': 1, 'k2': 2}", { k1: 1, k2: 2 }],
  ["map {1: 'a', 2: null}", { 1: 'a', 2: null }],
  ["map {[1, 2]: 'x'}", { '[1,2]': 'x' }],
  ["'\\xAA\\xBB'::blob", 'qrs='],
  ["''::blob", ''],
  ["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ["'b'::enum('a', 'b')", 'b'],
  ['union_value(num := 2)', 2],
  ["union_value(str := 'two')::union(num integer, str varchar)", 'two'],
  ["'101'::bit", '101'],
  ['123::variant', 123],
  ['9007199254740993::bigint::variant', '9007199254740993'],
  ["{'a': 1, 'b': [true]}::variant", { a: 1, b: [true] }],
  ["'POINT(1 2)'::geometry", 'AQEAAAAAAAAAAADwPwAAAAAAAABA'],
];

describe('DuckDB type normalisation', () => {
  it.each(cases)('%s → %j', async (expression, expected) => {
    expect(await read(expression)).toStrictEqual(expected);
  });

  it('keeps a JSON "__proto__" key as a field, not a prototype', async () => {
    const value = (await read(`'{"__proto__":{"polluted":1}}'::json`)) as Record<string, Value>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a column named "__proto__" as a field', async () => {
    const rows = (await collectBatches(source, 'select 1 as "__proto__", 2 as b', 10)).flat();
    expect(Object.keys(rows[0] ?? {})).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
  });

  it('uses the driver’s type ids', () => {
    for (const [name, id] of Object.entries(DuckDBTypeIds)) {
      expect(driver.DuckDBTypeId[name as keyof typeof driver.DuckDBTypeId], name).toBe(id);
    }
  });

  it('converts a wide row of mixed types over many batches', async () => {
    // Speed is measured in bench/, never asserted here (timing does not belong in npm test).
    const sql = `select range as id, 'user_' || range as name, range * 1.5 as score,
      timestamp '2024-01-01' + to_seconds(range) as ts, range % 2 = 0 as flag,
      (range / 100)::decimal(12,2) as amount from range(200000)`;
    let rows = 0;
    let last: unknown;
    for await (const batch of source.stream(sql, { batchSize: 5000 })) {
      rows += batch.length;
      last = batch.at(-1);
    }
    expect(rows).toBe(200_000);
    expect(last).toEqual({
      id: 199_999,
      name: 'user_199999',
      score: 299_998.5,
      ts: '2024-01-03T07:33:19.000Z',
      flag: false,
      amount: 1999.99,
    });
  });
});
