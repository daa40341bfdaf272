import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import { Secret } from '../../core/workspace.js';
import { isTemporaryTableUnavailable, type TemporaryTable } from '../source.js';
import { collectBatches, describeSourceConformance } from '../source-conformance.case.js';
import {
  createPostgresDatabase,
  type TestDatabase,
  writePostgresFixture,
} from '../source-conformance-databases.case.js';
import type { PostgresSettings } from './postgres-config.js';
import { PostgresSource } from './postgres-source.js';

const driver = { Client: pg.Client, Cursor, copyFrom };
const PASSWORD = 'Pg-Secret-Passw0rd';

let db: TestDatabase;

/** The test database's URL with a password (trust auth ignores it) and `extra` query parameters. */
function urlWith(extra = '', host = '127.0.0.1:5432', user = 'postgres'): string {
  const u = new URL(db.url);
  return `postgres://${user}:${PASSWORD}@${host}${u.pathname}${extra}`;
}

function open(settings: Partial<PostgresSettings> = {}, name = 'app'): PostgresSource {
  return new PostgresSource(driver, { url: new Secret(urlWith()), ...settings }, { name, workspaceDir: '/' });
}

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as SluiceError;
  expect(error, 'expected a failure').toBeDefined();
  expect(error.message).not.toContain(PASSWORD);
  expect(JSON.stringify(error.details)).not.toContain(PASSWORD);
  return error;
}

beforeAll(async () => {
  db = await createPostgresDatabase();
  await writePostgresFixture(db);
  await db.query("CREATE TYPE mood AS ENUM ('sad', 'happy')");
});

afterAll(async () => {
  await db?.drop();
});

describeSourceConformance('postgres', async () => ({ source: open(), engine: 'postgres', name: 'app' }));

describe('PostgresSource values', () => {
  it('reads every built-in type into the shared value model', async () => {
    const source = open();
    const [row] = (
      await collectBatches(
        source,
        `SELECT 1::int2 AS i2, 2147483647::int4 AS i4, 9007199254740993::int8 AS i8, 42::int8 AS small8,
          0.1::float4 AS f4, 0.1::float8 AS f8, 'NaN'::float8 AS nan, 'Infinity'::float4 AS inf,
          123456789012345678.5::numeric AS big_numeric, 'NaN'::numeric AS nan_numeric,
          true AS yes, false AS no, 'x'::char(3) AS padded, 'Ünïcödé 🦆'::varchar AS uni,
          'infinity'::timestamptz AS forever, '-infinity'::timestamp AS never,
          '2024-01-02 03:04:05.678912+05:30'::timestamptz AS tz, '0044-03-15 12:00:00 BC'::timestamp AS caesar,
          '10000-01-01'::date AS far_date, '0001-01-01 BC'::date AS bc_date, 'infinity'::date AS inf_date,
          '13:14:15.1234'::time AS t, '24:00:00'::time AS midnight, '13:14:15+05:30'::timetz AS ttz,
          '1 year 2 months 3 days 04:05:06.5'::interval AS iv, '\\x00ff10'::bytea AS bin,
          'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid AS id, 'happy'::mood AS feeling,
          '{"b":1,"a":[1,2.5,null],"big":12345678901234567890}'::jsonb AS doc, 'null'::json AS json_null,
          ARRAY['a,b', 'say "hi"', NULL, 'back\\slash', '', 'NULL'] AS texts,
          ARRAY[[1,2],[3,4]]::int8[] AS matrix, '[0:1]={7,8}'::int4[] AS bounded,
          ARRAY[9223372036854775807]::int8[] AS big_ints, ARRAY[true,false,NULL] AS bools,
          ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS stamps, ARRAY['{"a":1}'::jsonb] AS docs,
          ARRAY[1.50, NULL]::numeric[] AS decimals, '{}'::int4[] AS empty,
          ARRAY['sad','happy']::mood[] AS moods, '1.5'::money AS cash`,
        10,
      )
    ).flat();
    expect(row).toEqual({
      i2: 1,
      i4: 2147483647,
      i8: '9007199254740993',
      small8: 42,
      f4: 0.1,
      f8: 0.1,
      nan: null,
      inf: null,
      // NUMERIC is exact (README): a number only when the double prints back as the same decimal.
      big_numeric: '123456789012345678.5',
      nan_numeric: null,
      yes: true,
      no: false,
      padded: 'x  ',
      uni: 'Ünïcödé 🦆',
      forever: null,
      never: null,
      tz: '2024-01-01T21:34:05.678912Z',
      caesar: '-000043-03-15T12:00:00.000Z',
      far_date: '+010000-01-01',
      bc_date: '0000-01-01',
      inf_date: null,
      t: '13:14:15.1234',
      midnight: '24:00:00',
      ttz: '13:14:15+05:30',
      iv: 'P1Y2M3DT4H5M6.5S',
      bin: Buffer.from([0, 255, 16]).toString('base64'),
      id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      feeling: 'happy',
      doc: { a: [1, 2.5, null], b: 1, big: '12345678901234567890' },
      json_null: null,
      texts: ['a,b', 'say "hi"', null, 'back\\slash', '', 'NULL'],
      matrix: [
        [1, 2],
        [3, 4],
      ],
      bounded: [7, 8],
      big_ints: ['9223372036854775807'],
      bools: [true, false, null],
      stamps: ['2024-01-02T03:04:05.000Z'],
      docs: [{ a: 1 }],
      decimals: [1.5, null],
      empty: [],
      // Arrays of user-defined types keep PostgreSQL's text (their OIDs differ per database).
      moods: '{sad,happy}',
      cash: '$1.50',
    });
    await source.close();
  });

  it('streams a large result in bounded batches through the cursor', async () => {
    const source = open();
    let rows = 0;
    let batches = 0;
    let last: unknown;
    const heapAtStart = process.memoryUsage().heapUsed;
    let heapPeak = 0;
    for await (const batch of source.stream(
      'SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g',
      {
        batchSize: 5000,
      },
    )) {
      expect(batch.length).toBe(5000);
      rows += batch.length;
      batches++;
      last = batch.at(-1)?.id;
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    expect({ rows, batches, last }).toEqual({ rows: 200_000, batches: 40, last: 200_000 });
    // 200,000 rows of two columns are ~30 MB as objects; two batches of 5,000 are far less.
    expect(heapPeak - heapAtStart).toBeLessThan(25 * 1024 * 1024);
    await source.close();
  });

  it('runs models read-only: a model that writes fails and writes nothing', async () => {
    const source = open();
    const error = await failure(collectBatches(source, 'DELETE FROM users RETURNING id', 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('read-only');
    expect(await db.query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 12 }]);
    await source.close();
  });
});

describe('PostgresSource failures', () => {
  it('names an unreachable host, and what to check', async () => {
    const source = new PostgresSource(
      driver,
      { url: new Secret(urlWith('', '127.0.0.1:1')) },
      { name: 'app', workspaceDir: '/' },
    );
    const error = await failure(source.check());
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "app" (postgres) could not connect to postgres@127.0.0.1:1/');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('check the host and port');
    await source.close();
  });

  it('names refused credentials (a role the server does not know), never the password', async () => {
    const source = new PostgresSource(
      driver,
      { url: new Secret(urlWith('', '127.0.0.1:5432', 'no_such_role')) },
      { name: 'app', workspaceDir: '/' },
    );
    const error = await failure(collectBatches(source, 'SELECT 1', 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('role "no_such_role" does not exist');
    expect(error.message).toContain('check the user and password in the url');
    await source.close();
  });

  it('names a database that does not exist', async () => {
    const source = new PostgresSource(
      driver,
      { url: new Secret(`postgres://postgres:${PASSWORD}@127.0.0.1:5432/no_such_db_for_sluice`) },
      { name: 'app', workspaceDir: '/' },
    );
    const error = await failure(source.check());
    expect(error.message).toContain('database "no_such_db_for_sluice" does not exist');
    expect(error.message).toContain('check the database name in the url');
    await source.close();
  });

  it('stops a query at statement_timeout and says which setting to raise', async () => {
    const source = open({ statementTimeoutMs: 200 });
    const started = Date.now();
    const error = await failure(collectBatches(source, 'SELECT pg_sleep(5)', 10));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('statement timeout');
    expect(error.message).toContain('raise statement_timeout for this source');
    await source.close();
  });

  it('refuses sslmode=require against a server without TLS, and falls back under prefer', async () => {
    const required = open({ sslmode: 'require' });
    const error = await failure(required.check());
    expect(error.message).toContain('does not support SSL');
    expect(error.message).toContain('sslmode');
    await required.close();
    const preferred = new PostgresSource(
      driver,
      { url: new Secret(urlWith('?sslmode=prefer&application_name=sluice-test')) },
      { name: 'app', workspaceDir: '/' },
    );
    await expect(preferred.check()).resolves.toBeUndefined();
    await preferred.close();
  });

  it('names an unreadable sslrootcert and an unknown url parameter', async () => {
    const noCa = open({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.pem' });
    const error = await failure(noCa.check());
    expect(error.message).toContain('could not read sslrootcert /nonexistent/ca.pem: ENOENT');
    await noCa.close();
    const unknown = new PostgresSource(
      driver,
      { url: new Secret(urlWith('?sslmod=require')) },
      { name: 'app', workspaceDir: '/' },
    );
    const bad = await failure(unknown.check());
    expect(bad.code).toBe('config_invalid');
    expect(bad.message).toContain('parameter "sslmod"');
    await unknown.close();
  });

  it('cancels a long query on the server when the signal aborts', async () => {
    const source = open();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(
      collectBatches(source, 'SELECT pg_sleep(30) AS slept', 10, controller.signal),
    );
    expect(error.code).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(5000);
    const running = await db.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'",
    );
    expect(running).toEqual([{ n: 0 }]);
    await source.close();
  });

  it('ends a running stream with source_error when the source is closed', async () => {
    const source = open();
    // failure() attaches its handler now: the stream fails while close() is awaited.
    const run = failure(collectBatches(source, 'SELECT pg_sleep(30) AS slept', 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await source.close();
    const error = await run;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "app" (postgres) is closed');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('PostgresSource.streamWithTable', () => {
  async function* pages(...list: string[][][]) {
    for (const page of list) yield page;
  }

  async function withTable(
    source: PostgresSource,
    table: TemporaryTable,
    sql: string,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    const rows = [];
    for await (const batch of source.streamWithTable(table, sql, {
      batchSize: 100,
      ...(signal ? { signal } : {}),
    }))
      rows.push(...batch);
    return rows;
  }

  const HOSTILE = [
    'tab\there',
    'line\nbreak',
    'carriage\rreturn',
    'back\\slash',
    '\\.',
    '\\N',
    '',
    'ünïcødé 🦆',
    'trailing\\',
  ];

  it('COPYs keys with tabs, newlines, backslashes and unicode exactly, and leaves out what text cannot hold', async () => {
    const source = open();
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: pages(
        [HOSTILE.slice(0, 4), HOSTILE.slice(0, 4).map((k) => `h-${k}`)],
        [],
        [
          [...HOSTILE.slice(4), 'nul\u0000key', 'lone\uD800surrogate', 'fine'],
          [...HOSTILE.slice(4).map((k) => `h-${k}`), 'h', 'h', 'nul\u0000hash'],
        ],
      ),
    };
    const rows = await withTable(
      source,
      table,
      'SELECT f.key, f.row_hash FROM pg_temp.sluice_fingerprints f ORDER BY f.key COLLATE "C"',
    );
    const expected = HOSTILE.map((key) => ({ key, row_hash: `h-${key}` })).sort((a, b) =>
      Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)),
    );
    expect(rows).toEqual(expected);
    // Private to the stream's connection and gone with it.
    const error = await failure(collectBatches(source, 'SELECT * FROM pg_temp.sluice_fingerprints', 10));
    expect(error.message).toContain('sluice_fingerprints');
    await source.close();
  });

  it('loads an empty table, and the query after it runs read-only', async () => {
    const source = open();
    const empty = { name: 'sluice_fingerprints', columns: ['key', 'row_hash'], pages: pages() };
    expect(
      await withTable(source, empty, 'SELECT count(*)::int AS n FROM pg_temp.sluice_fingerprints'),
    ).toEqual([{ n: 0 }]);
    await db.query('CREATE TABLE IF NOT EXISTS untouched (id int)');
    const again = { name: 'sluice_fingerprints', columns: ['key', 'row_hash'], pages: pages([['a'], ['h']]) };
    const error = await failure(withTable(source, again, 'INSERT INTO untouched VALUES (1) RETURNING id'));
    expect(error.message).toContain('read-only');
    expect(await db.query('SELECT count(*)::int AS n FROM untouched')).toEqual([{ n: 0 }]);
    await source.close();
  });

  /** Pages that never end: one page of `size` rows, again and again, until the load stops. */
  async function* endless(size: number, onPage: () => void) {
    for (let p = 0; ; p++) {
      onPage();
      yield [Array.from({ length: size }, (_, i) => `k${p}-${i}`), Array.from({ length: size }, () => 'h')];
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('stops a load at once when the signal aborts, and the next stream works', async () => {
    const source = open();
    const controller = new AbortController();
    let pagesRead = 0;
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: endless(1000, () => {
        if (++pagesRead === 20) controller.abort();
      }),
    };
    const started = Date.now();
    const error = await failure(withTable(source, table, 'SELECT 1 AS one', controller.signal));
    expect(error.code).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(pagesRead).toBeLessThan(25);
    const next = { name: 'sluice_fingerprints', columns: ['key', 'row_hash'], pages: pages([['a'], ['h']]) };
    expect(
      await withTable(source, next, 'SELECT count(*)::int AS n FROM pg_temp.sluice_fingerprints'),
    ).toEqual([{ n: 1 }]);
    await source.close();
  });

  it('ends a load with source_error when the source is closed meanwhile', async () => {
    const source = open();
    let pagesRead = 0;
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: endless(1000, () => {
        pagesRead++;
      }),
    };
    const run = failure(withTable(source, table, 'SELECT 1 AS one'));
    while (pagesRead < 10) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await source.close();
    const error = await run;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "app" (postgres) is closed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('replaces a table an earlier run left in the session (a pooler without a reset query)', async () => {
    // The driver's sessions start with a stale table of the same name, as a reused server session would.
    class PooledClient extends pg.Client {
      override async connect(): Promise<pg.Client> {
        await super.connect();
        await this.query(
          "CREATE TEMP TABLE sluice_fingerprints (key text, row_hash text); INSERT INTO sluice_fingerprints VALUES ('stale', 'h')",
        );
        return this;
      }
    }
    const source = new PostgresSource(
      { ...driver, Client: PooledClient },
      { url: new Secret(urlWith()) },
      { name: 'app', workspaceDir: '/' },
    );
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: pages([['fresh'], ['h']]),
    };
    expect(await withTable(source, table, 'SELECT key FROM pg_temp.sluice_fingerprints')).toEqual([
      { key: 'fresh' },
    ]);
    await source.close();
  });

  it('fails a load that outlasts statement_timeout, saying which setting to raise', async () => {
    const source = open({ statementTimeoutMs: 100 });
    async function* slow() {
      for (let p = 0; p < 5; p++) {
        yield [[`k${p}`], ['h']];
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const table = { name: 'sluice_fingerprints', columns: ['key', 'row_hash'], pages: slow() };
    const error = await failure(withTable(source, table, 'SELECT 1 AS one'));
    expect(error.code).toBe('source_error');
    expect(isTemporaryTableUnavailable(error)).toBe(false);
    expect(error.message).toContain('raise statement_timeout');
    await source.close();
  });

  it('says the table is unavailable, with the GRANT to run, for a user without the TEMP privilege', async () => {
    const role = `${db.name}_notemp`;
    await db.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await db.query(`REVOKE TEMPORARY ON DATABASE ${db.name} FROM PUBLIC`);
      const source = new PostgresSource(
        driver,
        { url: new Secret(urlWith('', '127.0.0.1:5432', role)) },
        { name: 'app', workspaceDir: '/' },
      );
      const table = {
        name: 'sluice_fingerprints',
        columns: ['key', 'row_hash'],
        pages: pages([['a'], ['h']]),
      };
      const error = await failure(withTable(source, table, 'SELECT 1 AS one'));
      expect(isTemporaryTableUnavailable(error)).toBe(true);
      expect(error.message).toContain('permission denied');
      expect(error.message).toContain(`GRANT TEMPORARY ON DATABASE ${db.name} TO ${role}`);
      // The same connection settings still read.
      expect(await collectBatches(source, 'SELECT 1 AS one', 10)).toEqual([[{ one: 1 }]]);
      await source.close();
    } finally {
      await db.query(`GRANT TEMPORARY ON DATABASE ${db.name} TO PUBLIC`);
      await db.query(`DROP ROLE ${role}`);
    }
  });
});
