// memory_limit, temp_directory and threads: a model larger than DuckDB's memory limit still streams
// whole and in order, because DuckDB spills the sync's window and sort to its temp_directory.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import type { Row } from '../../core/values.js';
import { createSource } from '../registry.js';
import type { Source } from '../source.js';
import { collectBatches } from '../source-conformance.case.js';
import { DuckDBSource, duckdbCapabilities } from './duckdb-source.js';

/** Rows of the big model: ids 1…ROWS except that ids 1…DUPLICATES all read 1 (one duplicated key). */
const ROWS = 2_000_000;
const DUPLICATES = 10;
/** ≈ 80 bytes a row, ≈ 160 MB in all: the window and the sort spill under the limits below. */
const MODEL = `select case when i <= ${DUPLICATES} then 1 else i end as id,
  'user-' || i || repeat('x', 60) as payload
from range(1, ${ROWS + 1}) t(i)`;
/**
 * Threads are pinned: DuckDB needs memory per thread, so at its default (one per core) a machine with
 * many cores needs a higher limit for the same query (8 threads: 128MB fails, 256MB works).
 */
const MEMORY_LIMIT = '128MB';
const THREADS = 2;
/**
 * Reading Parquet needs more of DuckDB's memory for the same rows (128MB fails at 2 threads, and
 * 256MB failed about one run in ten); 320MB still spills.
 */
const FILES_MEMORY_LIMIT = '320MB';

/**
 * A query that holds the model — a per-key window and a sort, the extract query's shape on server
 * engines (src/sync/extract.ts; DuckDB's own streams instead) — so DuckDB must spill past its
 * limit, as a user's model with its own windows or sorts makes it.
 */
const holdingSql = (model: string) =>
  `select "m".*, count(*) over (partition by "m"."id") as "__sluice_key_count", ` +
  `${duckdbCapabilities.rowHashSql?.('"m"')} as "__sluice_row_hash"\nfrom (\n${model}\n) "m"\norder by "m"."id"`;

const SPILLED = `select count(*)::integer as files, coalesce(sum(size), 0)::bigint as bytes
from duckdb_temporary_files()`;

/**
 * Streams `sql` to its end, checking every row as it passes (holding 2M rows would be the memory
 * this is about), and what DuckDB had spilled once the first batch arrived.
 */
async function streamChecked(source: Source, sql: string) {
  let rows = 0;
  let last = 0;
  let wrong = 0;
  let spilled: Row | undefined;
  for await (const batch of source.stream(sql, { batchSize: 5000 })) {
    spilled ??= (await collectBatches(source, SPILLED, 10)).flat()[0];
    for (const row of batch) {
      const id = row.id as number;
      const expectedCount = id === 1 ? DUPLICATES : 1;
      if (
        id < last ||
        row.__sluice_key_count !== expectedCount ||
        typeof row.payload !== 'string' ||
        typeof row.__sluice_row_hash !== 'string'
      )
        wrong++;
      last = id;
      rows++;
    }
  }
  return { rows, last, wrong, spilled };
}

const setting = async (source: Source, name: string) =>
  (await collectBatches(source, `select current_setting('${name}')::varchar as v`, 1)).flat()[0]?.v;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-duckdb-spill-'));
  const instance = await driver.DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
  const connection = await instance.connect();
  await connection.run(`create table users as ${MODEL}`);
  await connection.run(`copy users to '${join(dir, 'users.parquet')}' (format parquet)`);
  connection.closeSync();
  instance.closeSync();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDB memory_limit', () => {
  it('streams a database model larger than memory_limit whole and in key order, spilling beside the file', async () => {
    const path = join(dir, 'warehouse.duckdb');
    const source = new DuckDBSource(
      driver,
      { type: 'duckdb', path, memoryLimit: MEMORY_LIMIT, threads: THREADS },
      { name: 'warehouse', workspaceDir: dir },
    );
    expect(await setting(source, 'memory_limit')).toBe('122.0 MiB');
    expect(await setting(source, 'threads')).toBe(String(THREADS));
    // A folder of this source's own beside the file, not DuckDB's `<path>.tmp` that every process
    // reading the file would share.
    const spillTo = String(await setting(source, 'temp_directory'));
    expect(spillTo).toMatch(
      new RegExp(`^${path.replaceAll('.', '\\.')}\\.sluice-${process.pid}-[0-9a-f]{8}\\.tmp$`),
    );
    const result = await streamChecked(source, holdingSql('select * from users'));
    expect(result).toMatchObject({ rows: ROWS, last: ROWS, wrong: 0 });
    expect(result.spilled?.files).toBeGreaterThan(0);
    await source.close();
    expect(existsSync(spillTo)).toBe(false);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('gives two sources on one database file spill folders of their own', async () => {
    const path = join(dir, 'warehouse.duckdb');
    const open = () =>
      new DuckDBSource(driver, { type: 'duckdb', path }, { name: 'warehouse', workspaceDir: dir });
    const [a, b] = [open(), open()];
    const [spillA, spillB] = [await setting(a, 'temp_directory'), await setting(b, 'temp_directory')];
    expect(spillA).not.toBe(spillB);
    await Promise.all([a.close(), b.close()]);
  });

  it('streams a files model larger than memory_limit, spilling to a private temp folder removed on close', async () => {
    const source = await createSource(
      { type: 'files', memoryLimit: FILES_MEMORY_LIMIT, threads: THREADS },
      { name: 'files', workspaceDir: dir },
    );
    // Not `.tmp` under the process's working folder (DuckDB's default for an in-memory database).
    const spillTo = String(await setting(source, 'temp_directory'));
    expect(spillTo.startsWith(join(tmpdir(), 'sluice-duckdb-files-'))).toBe(true);
    const result = await streamChecked(source, holdingSql("select * from read_parquet('users.parquet')"));
    expect(result).toMatchObject({ rows: ROWS, last: ROWS, wrong: 0 });
    expect(result.spilled?.files).toBeGreaterThan(0);
    await source.close();
    expect(existsSync(spillTo)).toBe(false);
  });
});

describe('DuckDB temp_directory', () => {
  it('creates a temp_directory the user named, relative to the workspace, spills in a folder of its own there, and leaves the named one on close', async () => {
    const open = () =>
      new DuckDBSource(
        driver,
        { type: 'files', path: ':memory:', tempDirectory: 'spill/here' },
        { name: 'files', workspaceDir: dir },
      );
    const [a, b] = [open(), open()];
    await a.check();
    expect(existsSync(join(dir, 'spill', 'here'))).toBe(true);
    const spillA = String(await setting(a, 'temp_directory'));
    const spillB = String(await setting(b, 'temp_directory'));
    expect(spillA.startsWith(join(dir, 'spill', 'here', 'sluice-duckdb-files-'))).toBe(true);
    expect(spillB.startsWith(join(dir, 'spill', 'here', 'sluice-duckdb-files-'))).toBe(true);
    expect(spillA).not.toBe(spillB);
    await Promise.all([a.close(), b.close()]);
    expect(existsSync(join(dir, 'spill', 'here'))).toBe(true);
    expect(existsSync(spillA)).toBe(false);
  });

  it('reports a temp_directory that cannot be created when the source opens', async () => {
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const source = new DuckDBSource(
      driver,
      { type: 'files', path: ':memory:', tempDirectory: join(dir, 'a-file', 'spill') },
      { name: 'files', workspaceDir: dir },
    );
    const error = (await source.check().catch((e: unknown) => e)) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain(`could not create its temp_directory ${join(dir, 'a-file', 'spill')}`);
    expect(error.message).toContain('check temp_directory for this source in sluice.yaml');
    await source.close();
  });

  it('says which sluice.yaml keys to change when DuckDB runs out of memory', async () => {
    const source = new DuckDBSource(
      driver,
      { type: 'files', path: ':memory:', memoryLimit: '8MB', threads: 1 },
      { name: 'files', workspaceDir: dir },
    );
    const sql = holdingSql("select * from read_parquet('users.parquet')");
    const error = (await collectBatches(source, sql, 1000).catch((e: unknown) => e)) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('Out of Memory Error');
    expect(error.message).toContain('raise memory_limit or lower threads for this source in sluice.yaml');
    await source.close();
  });
});
