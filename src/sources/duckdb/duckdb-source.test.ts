import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import { packColumns, type TextColumns } from '../../core/text-columns.js';
import type { SourceContext } from '../source.js';
import { collectBatches, describeSourceConformance } from '../source-conformance.case.js';
import {
  type FixtureInput,
  USERS_COLUMNS,
  USERS_INPUT,
  usersTableDdl,
} from '../source-conformance-fixture.js';
import { DuckDBSource, duckdbCapabilities } from './duckdb-source.js';

/** A DuckDB SQL literal for a fixture input, cast to the column's type. */
function literal(value: FixtureInput, type: string): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === null ? 'NULL' : String(v))).join(', ')}]::${type}`;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return `CAST('${String(value).replaceAll("'", "''")}' AS ${type})`;
}

/** Writes the conformance fixture into a new DuckDB file, with the driver itself, and closes it. */
async function writeFixtureDatabase(path: string): Promise<void> {
  const instance = await driver.DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(usersTableDdl('duckdb', duckdbCapabilities.quoteIdentifier));
  const rows = USERS_INPUT.map(
    (input) => `(${input.map((v, i) => literal(v, USERS_COLUMNS[i]?.ddl.duckdb as string)).join(', ')})`,
  );
  await connection.run(`INSERT INTO users VALUES ${rows.join(', ')}`);
  connection.closeSync();
  instance.closeSync();
}

let dir: string;
const open = (path: string, extra: Partial<SourceContext> = {}, memoryLimit?: string) =>
  new DuckDBSource(
    driver,
    { type: 'duckdb', path, memoryLimit },
    { name: 'warehouse', workspaceDir: dir, ...extra },
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-duckdb-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeSourceConformance('duckdb', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'sluice-duckdb-conformance-'));
  await writeFixtureDatabase(join(folder, 'warehouse.duckdb'));
  const source = new DuckDBSource(
    driver,
    { type: 'duckdb', path: join(folder, 'warehouse.duckdb') },
    { name: 'warehouse', workspaceDir: folder },
  );
  return {
    source,
    engine: 'duckdb',
    name: 'warehouse',
    cleanup: () => rm(folder, { recursive: true, force: true }),
  };
});

describe('DuckDBSource streaming', () => {
  it('streams 3M rows in batches without holding them: the heap stays flat', async () => {
    const source = open(':memory:');
    let rows = 0;
    let batches = 0;
    let last = -1;
    let heapAtStart = 0;
    let heapPeak = 0;
    for await (const batch of source.stream('select range as id from range(3000000)', {
      batchSize: 10_000,
    })) {
      if (batches === 0) heapAtStart = process.memoryUsage().heapUsed;
      batches++;
      rows += batch.length;
      last = batch[batch.length - 1]?.id as number;
      if (batches % 50 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    await source.close();
    expect(rows).toBe(3_000_000);
    expect(batches).toBe(300);
    expect(last).toBe(2_999_999);
    // 3M row objects held at once would take well over 150 MB of heap.
    expect(heapPeak - heapAtStart).toBeLessThan(64 * 1024 * 1024);
  });

  it('yields the first rows of a huge query without computing the rest, and stops it on break', async () => {
    // 200M rows materialised would take 1.6 GB and seconds; a streaming read returns at once.
    const source = open(':memory:');
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    let seen = 0;
    for await (const batch of source.stream('select range as id from range(200000000)', {
      batchSize: 5000,
    })) {
      seen += batch.length;
      if (seen >= 20_000) break;
    }
    expect(seen).toBe(20_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(3000);
    await source.close();
  });

  it('frees the memory DuckDB holds for a result the consumer stopped reading', async () => {
    const source = open(':memory:');
    const usage = async () => {
      const sql = 'select sum(memory_usage_bytes)::bigint as b from duckdb_memory()';
      return (await collectBatches(source, sql, 1)).flat()[0]?.b as number;
    };
    const before = await usage();
    const sorted = 'select range, random() as r from range(2000000) order by r';
    for await (const batch of source.stream(sorted, { batchSize: 100 })) {
      expect(batch).toHaveLength(100);
      expect(await usage()).toBeGreaterThan(before + 30 * 1024 * 1024);
      break;
    }
    expect((await usage()) - before).toBeLessThan(10 * 1024 * 1024);
    await source.close();
  });

  it("leaves DuckDB's own memory_limit and threads when sluice.yaml sets none, and applies sluice.yaml's", async () => {
    const setting = async (source: DuckDBSource, name: string) =>
      (await collectBatches(source, `select current_setting('${name}')::varchar as v`, 1)).flat()[0]?.v;
    const defaults = new DuckDBSource(
      driver,
      { type: 'duckdb', path: ':memory:' },
      { name: 'w', workspaceDir: dir },
    );
    // DuckDB's defaults: a thread per core, 80% of RAM (printed in GiB on any machine this runs on).
    expect(await setting(defaults, 'threads')).toBe(String(availableParallelism()));
    expect(await setting(defaults, 'memory_limit')).toMatch(/GiB$/);
    const configured = new DuckDBSource(
      driver,
      { type: 'files', path: ':memory:', memoryLimit: '1GB', threads: 3 },
      { name: 'c', workspaceDir: dir },
    );
    expect(await setting(configured, 'memory_limit')).toBe('953.6 MiB');
    expect(await setting(configured, 'threads')).toBe('3');
    await Promise.all([defaults.close(), configured.close()]);
  });

  it('applies the memory limit option', async () => {
    const source = open(':memory:', {}, '256MB');
    const rows = (await collectBatches(source, "select current_setting('memory_limit') as m", 10)).flat();
    expect(rows[0]?.m).toMatch(/^(244\.1 MiB|256\.0 MB)$/);
    await source.close();
  });

  it.each([0, 5, 50, 200])(
    'interrupts a long query still computing its first chunk when the signal aborts after %i ms',
    async (delay) => {
      const source = open(':memory:');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delay);
      const started = Date.now();
      const sql = 'select count(*) as n from range(1000000000000)';
      const error = await collectBatches(source, sql, 10, controller.signal).catch((e: unknown) => e);
      expect((error as SluiceError).code).toBe('interrupted');
      expect(Date.now() - started).toBeLessThan(delay + 5000);
      expect((await collectBatches(source, 'select 42 as n', 10)).flat()).toEqual([{ n: 42 }]);
      await source.close();
    },
    20_000,
  );

  it('refuses a batchSize that is not a positive integer', async () => {
    const source = open(':memory:');
    await expect(collectBatches(source, 'select 1', 0)).rejects.toThrow(RangeError);
    await expect(collectBatches(source, 'select 1', 1.5)).rejects.toThrow(RangeError);
    await source.close();
  });
});

describe('DuckDBSource errors', () => {
  const codeAndMessage = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => undefined,
      (e: unknown) => e,
    )) as SluiceError | undefined;
    return { code: error?.code, message: error?.message ?? '' };
  };

  it('reports a missing database file, and does not create it', async () => {
    const path = join(dir, 'missing.duckdb');
    const source = open(path);
    const { code, message } = await codeAndMessage(source.check());
    expect(code).toBe('source_error');
    expect(message).toContain('source "warehouse"');
    expect(message).toContain(`${path} does not exist`);
    expect(message).toContain('"path"');
    expect(await readdir(dir)).not.toContain('missing.duckdb');
    await source.close();
  });

  it('resolves a relative path against the workspace folder', async () => {
    await writeFixtureDatabase(join(dir, 'relative.duckdb'));
    const source = open('relative.duckdb');
    const rows = (await collectBatches(source, 'select count(*) as n from users', 10)).flat();
    expect(rows).toEqual([{ n: USERS_INPUT.length }]);
    await source.close();
  });

  it('reports a folder, and a file that is not a DuckDB database', async () => {
    const folder = await codeAndMessage(open(dir).check());
    expect(folder.code).toBe('source_error');
    expect(folder.message).toContain('is a folder');
    const junk = join(dir, 'junk.duckdb');
    await writeFile(junk, 'not a database at all '.repeat(400));
    const bad = await codeAndMessage(open(junk).check());
    expect(bad.code).toBe('source_error');
    expect(bad.message).toContain('not a valid DuckDB database');
    expect(bad.message).toContain('compatible DuckDB version');
  });

  it('passes DuckDB’s message and advice for SQL errors', async () => {
    const source = open(':memory:');
    const parse = await codeAndMessage(collectBatches(source, 'selec 1', 10));
    expect(parse.code).toBe('source_error');
    expect(parse.message).toContain('Parser Error');
    expect(parse.message).toContain('syntax');
    const binder = await codeAndMessage(collectBatches(source, 'select nope from range(3)', 10));
    expect(binder.message).toContain('nope');
    expect(binder.message).toContain('column names');
    const io = await codeAndMessage(collectBatches(source, "select * from read_csv('absent.csv')", 10));
    expect(io.message).toContain('absent.csv');
    expect(io.message).toContain('workspace folder');
    await source.close();
  });

  it('reports an error raised part way through the rows', async () => {
    const source = open(':memory:');
    const seen: number[] = [];
    const sql =
      "select case when range < 5000 then range else error('boom at ' || range) end as x from range(10000)";
    const error = await (async () => {
      for await (const batch of source.stream(sql, { batchSize: 100 })) seen.push(batch.length);
    })().catch((e: unknown) => e);
    expect((error as SluiceError).code).toBe('source_error');
    expect((error as SluiceError).message).toContain('boom at');
    await source.close();
  });

  it('refuses a result with two columns of the same name', async () => {
    const source = open(':memory:');
    const { code, message } = await codeAndMessage(collectBatches(source, 'select 1 as id, 2 as id', 10));
    expect(code).toBe('source_error');
    expect(message).toContain('more than one column named "id"');
    await source.close();
  });

  it('refuses to stream once closed; close() twice is fine', async () => {
    const source = open(':memory:');
    await source.check();
    await source.close();
    await source.close();
    const { code, message } = await codeAndMessage(collectBatches(source, 'select 1', 10));
    expect(code).toBe('source_error');
    expect(message).toContain('closed');
  });

  it('close() stops a query that is still running, then closes', async () => {
    const source = open(':memory:');
    const sql = 'select count(*) as n from range(1000000000000)';
    const running = collectBatches(source, sql, 10).catch((e: unknown) => e);
    const checking = source.check();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await source.close();
    expect(Date.now() - started).toBeLessThan(5000);
    const error = (await running) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('closed');
    await checking;
  });

  it('close() while the database is still opening fails the pending calls cleanly', async () => {
    await writeFixtureDatabase(join(dir, 'opening.duckdb'));
    const source = open(join(dir, 'opening.duckdb'));
    const checking = source.check().catch((e: unknown) => e);
    const streaming = collectBatches(source, 'select * from users', 5).catch((e: unknown) => e);
    await source.close();
    for (const error of [await checking, await streaming] as SluiceError[]) {
      expect(error.code).toBe('source_error');
      expect(error.message).toContain('closed');
    }
  });

  it('close() ends a stream left suspended mid-way', async () => {
    const source = open(':memory:');
    const iterator = source
      .stream('select range from range(1000000)', { batchSize: 10 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(10);
    await source.close();
    const next = (await iterator.next().catch((e: unknown) => e)) as SluiceError;
    expect(next.code).toBe('source_error');
    expect(next.message).toContain('closed');
  });
});

describe('DuckDBSource.streamWithTable', () => {
  async function* pages(...list: TextColumns[]) {
    for (const page of list) yield page;
  }

  it('loads a temporary table on a READ_ONLY database, for the one query that reads it', async () => {
    const path = join(dir, 'temp-table.duckdb');
    await writeFixtureDatabase(path);
    const source = open(path);
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: pages(
        [
          ['a', 'b'],
          ['ha', 'hb'],
        ],
        [['c'], ['hc\u0000with nul']],
      ),
    };
    const rows = [];
    for await (const batch of source.streamWithTable(
      table,
      'select f.key, f.row_hash, (select count(*) from users) as users from temp.sluice_fingerprints f order by f.key',
      { batchSize: 10 },
    )) {
      rows.push(...batch);
    }
    expect(rows).toEqual([
      { key: 'a', row_hash: 'ha', users: USERS_INPUT.length },
      { key: 'b', row_hash: 'hb', users: USERS_INPUT.length },
      { key: 'c', row_hash: 'hc\u0000with nul', users: USERS_INPUT.length },
    ]);
    // Gone with the query's connection: another query does not see it.
    const error = (await collectBatches(source, 'select * from temp.sluice_fingerprints', 10).catch(
      (caught: unknown) => caught,
    )) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('sluice_fingerprints');
    await source.close();
  });

  it('loads packed pages and pages of lists alike, whatever characters the values hold', async () => {
    const source = open(':memory:');
    // More rows than one DuckDB chunk (2,048), other scripts, astral characters and U+0000; packed
    // as strings and as bytes, and a page whose values hold the packing separator (U+001F), which
    // goes in value by value.
    const keys = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? `ключ-😀-${i}\u0000` : `user-${i}`));
    const hashes = keys.map((_, i) => `h${i}`);
    const packed = packColumns([keys.slice(0, 3000), hashes.slice(0, 3000)]);
    expect(packed).not.toBeNull();
    // The same packed as UTF-8 bytes, as the SQLite state store hands them out.
    const encoded = packColumns([keys.slice(3000, 4000), hashes.slice(3000, 4000)])!;
    const bytes = {
      rows: encoded.rows,
      packed: encoded.packed.map((column) => new TextEncoder().encode(column as string)),
    };
    const separated = [
      ['a\u001fb', ...keys.slice(4000)],
      ['hash\u001f', ...hashes.slice(4000)],
    ];
    expect(packColumns(separated)).toBeNull();
    const table = {
      name: 'sluice_fingerprints',
      columns: ['key', 'row_hash'],
      pages: pages(packed!, [[], []], bytes, separated),
    };
    const rows: { key: string; row_hash: string }[] = [];
    for await (const batch of source.streamWithTable(
      table,
      'select key, row_hash from temp.sluice_fingerprints',
      { batchSize: 1000 },
    )) {
      rows.push(...(batch as { key: string; row_hash: string }[]));
    }
    const expected = [...keys.map((key, i) => [key, hashes[i]]), ['a\u001fb', 'hash\u001f']];
    expect(rows.map((row) => [row.key, row.row_hash]).sort()).toEqual(expected.sort());
    await source.close();
  });
});
