// Warehouse writeback (SPEC §7): each real run's records land in a table of a writable source — a
// DuckDB file (the very one the model reads), PostgreSQL, MariaDB — one row per record, rewritten
// without duplicates, and a writeback that cannot be written leaves the run completed, reported.
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLine } from '../src/cli/log-lines.js';
import { openWorkspace, type Sluice } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice as cli } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let pgDb: TestDatabase;
let myDb: TestDatabase;
let workspace: Sluice;

const MAPPINGS: Record<string, string> = {
  user: '{ traits.email: email }',
  group: '{ traits.email: email, userId: id }',
  event: '{ event: { constant: Signed Up }, userId: id }',
};

const sync = (name: string, model: string, object: string, writeback: string) => `
  ${name}:
    model: ${model}
    destination: segment
    object: ${object}
    key: { column: ${object === 'event' ? 'event_id' : 'id'} }
    mappings: ${MAPPINGS[object]}
    writeback: ${writeback}`;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-writeback-'));
  receiver = await startReceiver({ port: 0 });
  [pgDb, myDb] = await Promise.all([
    createPostgresDatabase('sluice_wb_pg'),
    createMysqlDatabase('sluice_wb_my'),
  ]);
  // A table whose columns are not the writeback's: writing into it fails.
  await pgDb.query('CREATE TABLE wrong_shape (x integer)');
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as id, i as event_id, 'u' || i || '@example.com' as email from range(1, 6) t(i);
     insert into users values (null, 99, 'nobody@example.com')`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
  pg: { type: postgres, url: "${pgDb.url}" }
  my: { type: mysql, url: "${myDb.url}" }
  gone: { type: postgres, url: "postgres://postgres@127.0.0.1:1/nothing?connect_timeout=2" }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users order by event_id" }
syncs:${sync('to-duckdb', 'users', 'user', '{ source: warehouse, table: sluice_sync_log }')}${sync(
      'to-postgres',
      'users',
      'user',
      '{ source: pg, table: sluice_sync_log }',
    )}${sync('to-mysql', 'users', 'group', '{ source: my, table: sluice_sync_log }')}${sync(
      'events',
      'users',
      'event',
      '{ source: warehouse, table: main.sluice_events_log }',
    )}${sync('unreachable', 'users', 'user', '{ source: gone, table: sluice_sync_log }')}${sync(
      'wrong-table',
      'users',
      'user',
      '{ source: pg, table: wrong_shape }',
    )}
  plain: { model: users, destination: segment, object: user, key: { column: id }, mappings: { traits.email: email } }
`,
  );
  workspace = await openWorkspace(dir);
}, 60_000);

afterAll(async () => {
  await workspace?.close();
  await receiver?.close();
  await Promise.allSettled([pgDb?.drop(), myDb?.drop()]);
  await cleanup?.();
});

interface LogRow {
  sync: string;
  run_id: string;
  key: string | null;
  status: string;
  reason: string | null;
  message_id: string | null;
  operation: string;
  payload: unknown;
  recorded_at: unknown;
}

/** The rows of a DuckDB writeback table, read through an instance closed again at once. */
async function duckdbRows(table: string): Promise<LogRow[]> {
  const instance = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `select sync, run_id, key, status, reason, message_id, operation, payload::varchar as payload, recorded_at::varchar as recorded_at from ${table}`,
    );
    return reader.getRowObjectsJS() as unknown as LogRow[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** How many records the state holds for a run (what its writeback must hold). */
async function recordCount(runId: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await workspace.records(runId, { limit: 500, ...(cursor ? { cursor } : {}) });
    count += page.items.length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return count;
}

function perRun(rows: LogRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.run_id] = (counts[row.run_id] ?? 0) + 1;
  return counts;
}

/** Every succeeded row carries the message it sent, with that message's id. */
function expectPayloads(rows: LogRow[], operation: string): void {
  const succeeded = rows.filter((row) => row.status === 'succeeded');
  expect(succeeded.length).toBeGreaterThan(0);
  for (const row of succeeded) {
    expect(row.operation).toBe(operation);
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      messageId: string;
      type: string;
    };
    expect(payload.messageId).toBe(row.message_id);
    expect(payload.type).toBe(operation);
  }
}

describe('warehouse writeback', () => {
  it('writes each run of a DuckDB-sourced sync into the same DuckDB file, one row per record', async () => {
    const first = await workspace.run('to-duckdb');
    expect(first.status).toBe('completed');
    expect(first.counts).toMatchObject({ succeeded: 5, invalid: 1 });
    expect(first.writeback).toEqual({
      source: 'warehouse',
      table: 'sluice_sync_log',
      rows: 6,
      error: null,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The run history keeps it: the run's document says what the run's result said.
    expect((await workspace.getRun(first.run_id))?.writeback).toEqual(first.writeback);

    // The warehouse changes: one user's email, a new user, a removed one.
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      `update users set email = 'new@example.com' where id = 1;
       insert into users values (6, 6, 'u6@example.com');
       delete from users where id = 5`,
    );
    const second = await workspace.run('to-duckdb');
    expect(second.counts).toMatchObject({ changed: 1, new: 1, removed: 1, succeeded: 2, invalid: 1 });
    expect(second.writeback?.rows).toBe(await recordCount(second.run_id));

    const rows = await duckdbRows('sluice_sync_log');
    expect(perRun(rows)).toEqual({ [first.run_id]: 6, [second.run_id]: 4 });
    expectPayloads(rows, 'identify');
    const invalid = rows.find((row) => row.run_id === first.run_id && row.status === 'invalid');
    expect(invalid).toMatchObject({ key: null, reason: 'null_key', sync: 'to-duckdb' });
    expect(rows.find((row) => row.run_id === second.run_id && row.status === 'removed')).toMatchObject({
      key: '5',
    });
    expect(new Set(rows.map((row) => String(row.recorded_at)).filter((at) => at.length > 0)).size).toBe(2);

    // Writing a run back again replaces its rows: nothing doubles. The history keeps the latest outcome.
    const rewritten = await workspace.writeBack(first.run_id);
    expect(rewritten).toMatchObject({ rows: 6, error: null });
    expect((await workspace.getRun(first.run_id))?.writeback).toEqual(rewritten);
    expect(perRun(await duckdbRows('sluice_sync_log'))).toEqual({ [first.run_id]: 6, [second.run_id]: 4 });
  }, 60_000);

  it('names the operation of event syncs track, into a schema-qualified table', async () => {
    const run = await workspace.run('events');
    expect(run.writeback).toMatchObject({ rows: await recordCount(run.run_id), error: null });
    const rows = await duckdbRows('main.sluice_events_log');
    expect(perRun(rows)).toEqual({ [run.run_id]: run.writeback?.rows });
    expectPayloads(rows, 'track');
  }, 60_000);

  it('writes into PostgreSQL, creating the table, and rewrites a run without duplicates', async () => {
    const first = await workspace.run('to-postgres');
    await duckdb(join(dir, 'warehouse.duckdb'), `update users set email = 'pg@example.com' where id = 2`);
    const second = await workspace.run('to-postgres');
    expect(second.counts).toMatchObject({ changed: 1, succeeded: 1 });
    const count = async () => perRun((await pgDb.query('SELECT run_id FROM sluice_sync_log')) as LogRow[]);
    expect(await count()).toEqual({
      [first.run_id]: await recordCount(first.run_id),
      [second.run_id]: await recordCount(second.run_id),
    });
    await workspace.writeBack(second.run_id);
    await workspace.writeBack(second.run_id);
    expect((await count())[second.run_id]).toBe(await recordCount(second.run_id));
    const rows = (await pgDb.query(
      'SELECT sync, run_id, key, status, reason, message_id, operation, payload, recorded_at FROM sluice_sync_log',
    )) as LogRow[];
    expectPayloads(rows, 'identify');
    // `payload` is json: PostgreSQL answers the message itself, and recorded_at an instant.
    expect(typeof rows[0]?.payload === 'object' || rows[0]?.payload === null).toBe(true);
    expect(rows[0]?.recorded_at).toBeInstanceOf(Date);
  }, 60_000);

  it('writes into MariaDB, one row per record, group syncs as group', async () => {
    const first = await workspace.run('to-mysql');
    const second = await workspace.run('to-mysql');
    await workspace.writeBack(first.run_id);
    const rows = (await myDb.query(
      'SELECT sync, run_id, `key`, status, reason, message_id, operation, payload, recorded_at FROM sluice_sync_log',
    )) as LogRow[];
    expect(perRun(rows)).toEqual({
      [first.run_id]: await recordCount(first.run_id),
      ...(second.writeback?.rows ? { [second.run_id]: second.writeback.rows } : {}),
    });
    expect(second.writeback).toMatchObject({ rows: await recordCount(second.run_id), error: null });
    expectPayloads(rows, 'group');
  }, 60_000);

  it('leaves a run completed when its writeback target is unreachable, and says so', async () => {
    const warnings: string[] = [];
    const run = await workspace.run('unreachable', { onWarning: (line) => warnings.push(line) });
    expect(run.status).toBe('completed');
    expect(run.counts.succeeded).toBeGreaterThan(0);
    expect(run.writeback).toMatchObject({
      source: 'gone',
      rows: 0,
      error: {
        code: 'source_error',
        message: expect.stringMatching(/could not connect to postgres@127\.0\.0\.1:1/),
      },
    });
    expect(warnings).toEqual([expect.stringMatching(/^✗ unreachable: writeback of run .* failed: /)]);
    const listed = await workspace.runs({ sync: 'unreachable' });
    expect(listed.items[0]).toMatchObject({ run_id: run.run_id, writeback: run.writeback });
  }, 60_000);

  it('leaves a run completed when the table cannot take the rows, and the CLI exits 0 saying so', async () => {
    const run = await cli('-w', dir, 'sync', 'run', 'wrong-table', '--json');
    expect(run.code).toBe(0);
    const result = run.json<SyncRunResult>();
    expect(result.status).toBe('completed');
    expect(result.writeback).toMatchObject({
      source: 'pg',
      table: 'wrong_shape',
      rows: 0,
      error: { message: expect.stringMatching(/table wrong_shape failed: column "run_id" does not exist/) },
    });
    expect(run.stderr).toMatch(/writeback of run .* failed/);
    expect(await pgDb.query('SELECT * FROM wrong_shape')).toEqual([]);
    // A worker's or serve's log line of the run is a warning carrying the writeback.
    expect(logLine({ event: 'run_finished', sync: 'wrong-table', request: 'q', result })).toMatchObject({
      level: 'warn',
      status: 'completed',
      writeback: { rows: 0, error: { code: 'source_error' } },
    });
  }, 60_000);

  it('tells a person how many rows the CLI wrote back, and where', async () => {
    const run = await cli('-w', dir, 'sync', 'run', 'to-mysql');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}wrote back \d+ rows into my\.sluice_sync_log$/m);
  }, 60_000);

  it('writes nothing back for a dry run, and refuses a rewrite of a sync without writeback', async () => {
    const dry = await workspace.run('to-duckdb', { dryRun: true });
    expect(dry.writeback).toBeUndefined();
    expect((await workspace.getRun(dry.run_id))?.writeback).toBeUndefined();
    const plain = await workspace.run('plain');
    expect(plain.writeback).toBeUndefined();
    await expect(workspace.writeBack(plain.run_id)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/has no writeback/),
    });
    await expect(workspace.writeBack('r_nope')).rejects.toMatchObject({ code: 'not_found' });
  });
});
