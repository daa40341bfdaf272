import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import { collectBatches, describeSourceConformance } from '../source-conformance.case.js';
import { writeSqliteFixture } from '../source-conformance-databases.case.js';
import { SqliteSource } from './sqlite-source.js';

let dir: string;
const open = (path: string) => new SqliteSource(Database, { path }, { name: 'lite', workspaceDir: dir });

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  )) as SluiceError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-'));
  writeSqliteFixture(join(dir, 'fixture.sqlite'));
  const db = new Database(join(dir, 'kinds.sqlite'));
  db.exec(`CREATE TABLE kinds (flag BOOL, stamp DATETIME, zoned TIMESTAMP WITH TIME ZONE, day DATE, doc JSON,
    bad_doc JSON, epoch DATETIME, odd_stamp TIMESTAMP, blob_col BLOB, real_col REAL, big INTEGER, txt TEXT)`);
  db.prepare('INSERT INTO kinds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    2,
    '2024-01-02T03:04:05Z',
    '2024-01-02 03:04:05.123456-02:30',
    '2024-02-29',
    '{"big": 12345678901234567890, "ok": [true, null]}',
    '{not json',
    1_700_000_000,
    'yesterday',
    Buffer.from([1, 2, 3]),
    1.5,
    -9007199254740993n,
    '2024-01-02 03:04:05',
  );
  db.exec('CREATE TABLE numbers (n INTEGER)');
  const insert = db.prepare('INSERT INTO numbers VALUES (?)');
  db.transaction(() => {
    for (let i = 1; i <= 100_000; i++) insert.run(i);
  })();
  db.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeSourceConformance('sqlite', async () => ({
  source: open('fixture.sqlite'),
  engine: 'sqlite',
  name: 'lite',
}));

describe('SqliteSource values', () => {
  it('reads values by storage class, and by declared type where SQLite keeps meaning there', async () => {
    const source = open('kinds.sqlite');
    const rows = await collectBatches(
      source,
      "SELECT k.*, 1 = 1 AS computed, json_object('a', 1) AS made FROM kinds k",
      10,
    );
    expect(rows.flat()).toEqual([
      {
        flag: true,
        stamp: '2024-01-02T03:04:05.000Z',
        zoned: '2024-01-02T05:34:05.123456Z',
        day: '2024-02-29',
        doc: { big: '12345678901234567890', ok: [true, null] },
        bad_doc: '{not json',
        // Numbers in a DATETIME column are not guessed at: unix seconds or a julian day?
        epoch: 1_700_000_000,
        odd_stamp: 'yesterday',
        blob_col: Buffer.from([1, 2, 3]).toString('base64'),
        real_col: 1.5,
        big: '-9007199254740993',
        txt: '2024-01-02 03:04:05',
        // Expressions have no declared type: their storage class decides.
        computed: 1,
        made: '{"a":1}',
      },
    ]);
    await source.close();
  });

  it('streams 100,000 rows in batches, giving the event loop a turn between them', async () => {
    const source = open('kinds.sqlite');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let rows = 0;
    let last: unknown;
    for await (const batch of source.stream('SELECT n FROM numbers ORDER BY n', { batchSize: 1000 })) {
      rows += batch.length;
      last = batch.at(-1)?.n;
    }
    clearInterval(timer);
    expect({ rows, last }).toEqual({ rows: 100_000, last: 100_000 });
    expect(ticks).toBeGreaterThan(0);
    await source.close();
  });

  it('stops at the next batch when the signal aborts from a timer', async () => {
    const source = open('kinds.sqlite');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    let seen = 0;
    const error = await failure(
      (async () => {
        for await (const batch of source.stream('SELECT n FROM numbers', {
          batchSize: 10,
          signal: controller.signal,
        }))
          seen += batch.length;
      })(),
    );
    expect(error.code).toBe('interrupted');
    expect(seen).toBeLessThan(100_000);
    await source.close();
  });
});

describe('SqliteSource failures', () => {
  it('refuses a file that does not exist instead of creating it', async () => {
    const source = open('missing.sqlite');
    const error = await failure(source.check());
    expect(error.code).toBe('source_error');
    expect(error.message).toContain(`${join(dir, 'missing.sqlite')} does not exist`);
    expect(error.message).toContain('check "path" for this source');
    await source.close();
  });

  it('says when the file is not a SQLite database', async () => {
    await writeFile(
      join(dir, 'notes.txt'),
      'hello, this is not a database at all, just some text'.repeat(20),
    );
    const source = open('notes.txt');
    const error = await failure(source.check());
    expect(error.message).toContain('source "lite" (sqlite)');
    expect(error.message).toContain('file is not a database');
    await mkdir(join(dir, 'folder.sqlite'), { recursive: true });
    const folder = await failure(open('folder.sqlite').check());
    expect(folder.message).toContain('it is a folder');
    await source.close();
  });

  it('opens read-only: a model that writes fails and changes nothing', async () => {
    const source = open('kinds.sqlite');
    const error = await failure(collectBatches(source, 'DELETE FROM numbers RETURNING n', 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('readonly');
    const notRows = await failure(collectBatches(source, 'DELETE FROM numbers', 10));
    expect(notRows.message).toContain('the model does not return rows');
    const db = new Database(join(dir, 'kinds.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM numbers').get()).toEqual({ n: 100_000 });
    db.close();
    await source.close();
  });

  it('ends an open stream with source_error when the source is closed', async () => {
    const source = open('kinds.sqlite');
    const stream = source.stream('SELECT n FROM numbers', { batchSize: 10 });
    const first = await stream.next();
    expect(first.value).toHaveLength(10);
    await source.close();
    const error = await failure(stream.next());
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "lite" (sqlite) is closed');
  });
});
