import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceColumn } from '../source.js';
import { duckdbRowHashSql } from './duckdb-row-hash.js';

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

/** The model's columns as the sync probes them, and each row's hash as the extract computes it. */
async function hashes(model: string): Promise<{ columns: SourceColumn[]; hashes: string[]; sql: string }> {
  const probe = await connection.runAndReadAll(`select * from (${model}) limit 0`);
  const columns = probe.columnNames().map((name, i) => ({ name, type: String(probe.columnTypes()[i]) }));
  const sql = duckdbRowHashSql('"m"', columns);
  const result = await connection.runAndReadAll(`select ${sql} as h from (${model}) "m"`);
  return { columns, hashes: result.getRows().map((row) => String(row[0])), sql };
}

describe('duckdbRowHashSql', () => {
  it('uses the fast hash over plain types, and it tells apart what the exact one does', async () => {
    const model = `select * from (values
      (1, 'a', null::varchar), (1, 'a', 'NULL'), (1, 'a', ''), (2, 'a', null), (1, 'b', null),
      (1, 'a, b', null), (1, 'a', ', b')) t(id, name, note)`;
    const { sql, hashes: all } = await hashes(model);
    expect(sql).toMatch(/^hash\(/u);
    expect(new Set(all).size).toBe(7);
    // The same in another process would need another DuckDB; the same again here is the least.
    expect((await hashes(model)).hashes).toEqual(all);
  });

  it('changes when a column is renamed, reordered or retyped with the same values', async () => {
    const base = (await hashes('select 1 as a, 2 as b')).hashes[0];
    expect((await hashes('select 1 as a2, 2 as b')).hashes[0]).not.toBe(base);
    expect((await hashes('select 2 as b, 1 as a')).hashes[0]).not.toBe(base);
    expect((await hashes('select 1::bigint as a, 2 as b')).hashes[0]).not.toBe(base);
    expect((await hashes(`select '1' as a, 2 as b`)).hashes[0]).not.toBe(base);
    expect((await hashes('select 1 as a, 2 as b')).hashes[0]).toBe(base);
  });

  it('uses the exact hash where DuckDB calls different texts equal: intervals, TIMETZ, anywhere nested', async () => {
    // DuckDB hashes INTERVAL '1 month' and '30 days' alike; Sluice sends P1M and P30D.
    expect(
      (
        await connection.runAndReadAll(`select hash(interval '1 month') = hash(interval '30 days')`)
      ).getRows()[0]?.[0],
    ).toBe(true);
    for (const model of [
      `select * from (values (1, interval '1 month'), (1, interval '30 days')) t(id, v)`,
      `select * from (values (1, [interval '1 month']), (1, [interval '30 days'])) t(id, v)`,
      `select * from (values (1, {'d': interval '1 month'}), (1, {'d': interval '30 days'})) t(id, v)`,
      `select * from (values (1, '12:00:00+01'::timetz), (1, '11:00:00+00'::timetz)) t(id, v)`,
    ]) {
      const { sql, hashes: two } = await hashes(model);
      expect(sql, model).toMatch(/^md5\(/u);
      expect(new Set(two).size, model).toBe(2);
    }
  });

  it('uses the exact hash when the columns are not known', () => {
    expect(duckdbRowHashSql('"m"')).toMatch(/^md5\(to_json\(struct_pack\(\*COLUMNS\("m"\.\*\)\)\)/u);
  });
});
