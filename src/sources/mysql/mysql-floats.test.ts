/**
 * FLOAT and DOUBLE reach Sluice exactly from MariaDB/MySQL: the text protocol writes FLOAT
 * to 6 significant digits and DOUBLE to at most 15, which merged different keys and made reruns
 * resend rows; the source reads through the binary protocol instead (mysql-source.ts). FLOAT is
 * the shortest decimal that reads back as the same 32-bit float, as for DuckDB and PostgreSQL
 * float4 (src/sources/README.md); DOUBLE is the double itself.
 */
import * as mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../core/values.js';
import { Secret } from '../../core/workspace.js';
import { collectBatches } from '../source-conformance.case.js';
import { createMysqlDatabase, type TestDatabase } from '../source-conformance-databases.case.js';
import { MysqlSource } from './mysql-source.js';

let db: TestDatabase;

async function read(sql: string): Promise<Row[]> {
  const source = new MysqlSource(
    mysql,
    { url: new Secret(`mysql://root@127.0.0.1:3306/${db.name}`) },
    { name: 'crm', workspaceDir: '/' },
  );
  try {
    return (await collectBatches(source, sql, 100)).flat();
  } finally {
    await source.close();
  }
}

beforeAll(async () => {
  db = await createMysqlDatabase('sluice_src_myfloat');
});

afterAll(async () => {
  await db?.drop();
});

describe('MysqlSource floats', () => {
  it('reads FLOAT as the shortest decimal of its 32-bit value, so near keys stay apart', async () => {
    await db.query('CREATE TABLE f32 (n INT PRIMARY KEY, f FLOAT)');
    await db.query(
      `INSERT INTO f32 VALUES (1, 0.33333334e0), (2, 0.33333337e0), (3, 3.4028234663852886e38), (4, -3.4028234663852886e38),
        (5, 1.4e-45), (6, -1.4e-45), (7, 1.1754942e-38), (8, -0e0), (9, 16777217e0), (10, 0.1e0)`,
    );
    const rows = await read('SELECT f FROM f32 ORDER BY n');
    const values = rows.map((row) => row.f);
    expect(values).toEqual([
      0.33333334, // the text protocol wrote both this and the next as 0.333333
      0.33333337,
      3.4028235e38, // FLT_MAX; the text protocol wrote 3.40282e38
      -3.4028235e38,
      1e-45, // the smallest subnormal, 2^-149
      -1e-45,
      1.1754942e-38, // the largest subnormal
      0, // -0: MariaDB stores 0; PostgreSQL's float4 reads -0 as 0 too
      16777216, // 2^24 + 1 is no float32: stored as 2^24
      0.1,
    ]);
    // As keys (String(n), sync/map.ts) they are all different.
    expect(new Set(values.map(String)).size).toBe(values.length);
  });

  it('reads DOUBLE as the exact double, up to 17 significant digits', async () => {
    await db.query('CREATE TABLE f64 (n INT PRIMARY KEY, d DOUBLE)');
    await db.query(
      `INSERT INTO f64 VALUES (1, 977135539175674.1e0), (2, 952869823.1565257e0), (3, 0.1e0), (4, 1.7976931348623157e308),
        (5, -1.7976931348623157e308), (6, 4.9406564584124654e-324), (7, -5e-324), (8, 2.225073858507201e-308), (9, -0e0),
        (10, 9007199254740993e0), (11, 0.30000000000000004e0)`,
    );
    const rows = await read('SELECT d FROM f64 ORDER BY n');
    expect(rows.map((row) => row.d)).toEqual([
      977135539175674.1, // the text protocol wrote 977135539175674
      952869823.1565257, // the text protocol wrote 952869823.1565256
      0.1,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      5e-324,
      -5e-324,
      2.225073858507201e-308, // the largest subnormal
      0, // -0: MariaDB stores 0 (where an engine keeps -0, its String and JSON are "0" too)
      9007199254740992, // 2^53 + 1 is no double: stored as 2^53
      0.30000000000000004,
    ]);
  });

  it('reads computed floats exactly too, and keeps DECIMAL exact beside them', async () => {
    const [row] = await read(
      `SELECT CAST(1/3 AS FLOAT) AS f, 1e0/3 AS d, 1/3 AS dec_div, CAST(977135539175674.1 AS DOUBLE) AS from_decimal,
         CAST(12345678901234567890.5 AS DECIMAL(30,1)) AS wide`,
    );
    expect(row).toEqual({
      f: 0.33333334,
      d: 0.3333333333333333,
      dec_div: 0.3333,
      from_decimal: 977135539175674.1,
      wide: '12345678901234567890.5',
    });
  });
});
