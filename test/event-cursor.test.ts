import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, Secret, type SourceConfig, type SyncConfig } from '../src/core/workspace.js';
import { destinationType } from '../src/destinations/registry.js';
import { createSegmentDestination } from '../src/destinations/segment/segment-destination.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { createSource } from '../src/sources/registry.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { SqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../src/state/state-store.js';
import type { RunSyncOptions } from '../src/sync/run-sync.js';
import { runSync } from '../src/sync/run-sync.js';

// Event cursors (SPEC §3 "Event cursors") on each engine, through the real pipe: a warehouse table
// rows are appended to, the local Segment receiver, a SQLite state file.

const KEY = 'cursor-test-key';
const T = Date.parse('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
/** An instant `hours` before T, as Sluice reads timestamps. */
const hoursBefore = (hours: number) => new Date(T - hours * HOUR).toISOString();

interface EventRow {
  id: string;
  at: string | null;
}

/**
 * A warehouse with an `events (id, user_id, occurred_at, label)` table that rows are appended to
 * (`label` is text, for a cursor on a column that holds no timestamps).
 */
interface Warehouse {
  config: SourceConfig;
  append(rows: readonly EventRow[]): Promise<void>;
  close(): Promise<void>;
}

async function duckdbWarehouse(dir: string): Promise<Warehouse> {
  const path = join(dir, 'events.duckdb');
  const write = async (sql: string, values?: (string | null)[]) => {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    try {
      await connection.run(sql, values);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
  // TIMESTAMP without a zone: Sluice reads it as UTC, whatever the machine's zone.
  await write('create table events (id varchar, user_id varchar, occurred_at timestamp, label varchar)');
  return {
    config: { type: 'duckdb', path },
    async append(rows) {
      for (const row of rows) {
        await write("insert into events values ($1, 'u1', CAST($2 AS TIMESTAMP), 'x')", [
          row.id,
          row.at === null ? null : row.at.slice(0, -1),
        ]);
      }
    },
    async close() {},
  };
}

async function postgresWarehouse(): Promise<Warehouse> {
  const db = await createPostgresDatabase('sluice_cursor_pg');
  await db.query('create table events (id text, user_id text, occurred_at timestamptz, label text)');
  return {
    config: { type: 'postgres', url: new Secret(db.url) },
    async append(rows) {
      for (const row of rows) {
        await db.query("insert into events values ($1, 'u1', $2, 'x')", [row.id, row.at]);
      }
    },
    close: () => db.drop(),
  };
}

async function sqliteWarehouse(dir: string): Promise<Warehouse> {
  const path = join(dir, 'events.sqlite');
  const db = new Database(path);
  db.exec('create table events (id text, user_id text, occurred_at datetime, label text)');
  const insert = db.prepare("insert into events values (?, 'u1', ?, 'x')");
  return {
    config: { type: 'sqlite', path },
    async append(rows) {
      // Stored as many tools write them: "YYYY-MM-DD HH:MM:SS.fff", no zone (UTC).
      for (const row of rows) insert.run(row.id, row.at?.slice(0, -1).replace('T', ' ') ?? null);
    },
    async close() {
      db.close();
    },
  };
}

async function mysqlWarehouse(): Promise<Warehouse> {
  const db: TestDatabase = await createMysqlDatabase('sluice_cursor_my');
  await db.query(
    'create table events (id varchar(20), user_id varchar(20), occurred_at datetime(3), label text)',
  );
  return {
    config: { type: 'mysql', url: new Secret(db.url) },
    async append(rows) {
      for (const row of rows) {
        await db.query("insert into events values (?, 'u1', ?, 'x')", [
          row.id,
          row.at?.slice(0, -1).replace('T', ' ') ?? null,
        ]);
      }
    },
    close: () => db.drop(),
  };
}

const model: ModelConfig = {
  source: 'warehouse',
  sql: 'select id, user_id, occurred_at, label from events',
  origin: { file: 'sluice.yaml', line: 4, inline: true },
};

function eventSync(cursor: Partial<NonNullable<SyncConfig['cursor']>> = {}): SyncConfig {
  return {
    name: 'clicks',
    model: 'events',
    destination: 'segment',
    object: 'event',
    key: { column: 'id' },
    mappings: [
      { path: 'event', source: { kind: 'constant', value: 'Clicked' }, line: 12 },
      { path: 'userId', source: { kind: 'column', column: 'user_id' }, line: 13 },
      { path: 'properties.id', source: { kind: 'column', column: 'id' }, line: 14 },
    ],
    nulls: 'send',
    backfill: true,
    retry: {},
    cursor: { column: 'occurred_at', lookbackMs: HOUR, line: 15, ...cursor },
    file: 'sluice.yaml',
    line: 8,
    keyLine: 11,
    bundleLine: 0,
  };
}

let receiver: Receiver;
let dir: string;

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [KEY] });
  dir = await mkdtemp(join(tmpdir(), 'sluice-cursor-'));
});

afterAll(async () => {
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One run of `sync` over the warehouse, with a source and destination of its own. */
async function run(
  warehouse: Warehouse,
  state: StateStore,
  sync: SyncConfig,
  options: RunSyncOptions = {},
): Promise<Awaited<ReturnType<typeof runSync>>> {
  const source = await createSource(warehouse.config, { name: 'warehouse', workspaceDir: dir });
  const destination = createSegmentDestination(
    {
      type: 'segment',
      writeKey: new Secret(KEY),
      region: 'us',
      endpoint: receiver.url,
      concurrency: 2,
      timeoutMs: 5000,
    },
    { version: '0.0.0-test', retry: { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 5 } },
  );
  try {
    return await runSync(
      sync,
      model,
      {
        source,
        destination,
        state,
        descriptor: destinationType('segment')!.objects.event,
        version: '0.0.0-test',
        workspaceId: 'ws-cursor-test',
      },
      options,
    );
  } finally {
    await destination.close?.();
    await source.close();
  }
}

/** The `properties.id` of every event the receiver accepted, in order. */
function sentIds(): string[] {
  return receiver.messages().map((m) => String((m as { properties: { id: string } }).properties.id));
}

describe.each([
  ['duckdb', () => duckdbWarehouse(dir)],
  ['postgres', () => postgresWarehouse()],
  ['sqlite', () => sqliteWarehouse(dir)],
  ['mysql', () => mysqlWarehouse()],
])('an event cursor on %s', (_engine, makeWarehouse) => {
  it('reads only its window, sends each key once, keeps a failed row readable and reports nothing removed', async () => {
    receiver.reset();
    const warehouse = await makeWarehouse();
    const stateDir = await mkdtemp(join(dir, 'state-'));
    const state = await SqliteStateStore.open(join(stateDir, 'state.db'));
    const sync = eventSync();
    try {
      // Run 1: no mark yet, the whole table; the mark becomes the latest cursor read.
      await warehouse.append([
        { id: 'e1', at: hoursBefore(10) },
        { id: 'e2', at: hoursBefore(5) },
        { id: 'e3', at: hoursBefore(2) },
      ]);
      const first = await run(warehouse, state, sync);
      expect(first.error).toBeNull();
      expect(first.counts).toMatchObject({ extracted: 3, new: 3, succeeded: 3, removed: 0 });
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(2),
      });

      // Run 2: the window starts an hour (the lookback) before the mark. e3 is read again and is
      // unchanged; e5 arrived late but inside the lookback and is sent; e6 arrived later than the
      // lookback covers and is never read; e9 has no cursor and is read on every run. e1 and e2 are
      // outside the window and not "removed".
      await warehouse.append([
        { id: 'e4', at: hoursBefore(1) },
        { id: 'e5', at: hoursBefore(2.5) },
        { id: 'e6', at: hoursBefore(4) },
        { id: 'e9', at: null },
      ]);
      const second = await run(warehouse, state, sync);
      expect(second.error).toBeNull();
      expect(second.counts).toMatchObject({ extracted: 4, unchanged: 1, new: 3, succeeded: 3, removed: 0 });
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(1),
      });

      // Run 3: the destination fails; the mark stays, so the failed row is read again next run.
      receiver.setFaults({ failRate: 1, failStatus: 503 });
      await warehouse.append([{ id: 'e7', at: hoursBefore(0.5) }]);
      const third = await run(warehouse, state, sync);
      receiver.setFaults({});
      expect(third.counts).toMatchObject({ extracted: 4, unchanged: 3, new: 1, failed: 1, removed: 0 });
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(1),
      });

      // A dry run reads the same window and moves nothing.
      const dry = await run(warehouse, state, sync, { dryRun: true });
      expect(dry.counts).toMatchObject({ extracted: 4, unchanged: 3, planned: 1 });
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(1),
      });

      // Run 4: the failed row is retried and delivered, beside a new one; the mark moves on.
      await warehouse.append([{ id: 'e8', at: hoursBefore(1 / 3) }]);
      const fourth = await run(warehouse, state, sync);
      expect(fourth.error).toBeNull();
      expect(fourth.counts).toMatchObject({
        extracted: 5,
        unchanged: 3,
        planned: 2,
        succeeded: 2,
        removed: 0,
      });
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(1 / 3),
      });

      // Each key once, in key order per run; e6 (older than the window when it arrived) never.
      expect(sentIds()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e9', 'e7', 'e8']);

      // --retry-abandoned reads the whole model: every delivered key is unchanged, and e6, which
      // arrived too late for its window, is read and sent now. The mark stays (nothing later).
      const all = await run(warehouse, state, sync, { retryAbandoned: true });
      expect(all.counts).toMatchObject({ extracted: 9, unchanged: 8, new: 1, succeeded: 1, removed: 0 });
      expect(sentIds().slice(8)).toEqual(['e6']);
      expect(await state.ledger.cursorMark('clicks')).toEqual({
        column: 'occurred_at',
        mark: hoursBefore(1 / 3),
      });
    } finally {
      await state.close();
      await warehouse.close();
    }
  });
});

describe('an event cursor that cannot order rows', () => {
  it('fails the run at its line on a value that is no timestamp (SQLite keeps numbers in a DATETIME column)', async () => {
    receiver.reset();
    const warehouse = await sqliteWarehouse(await mkdtemp(join(dir, 'numbers-')));
    const state = await SqliteStateStore.open(join(await mkdtemp(join(dir, 'state-')), 'state.db'));
    try {
      await warehouse.append([{ id: 'e1', at: hoursBefore(1) }]);
      const raw = new Database((warehouse.config as { path: string }).path);
      raw.prepare("insert into events values ('e2', 'u1', 1780000000, 'x')").run();
      raw.close();
      const result = await run(warehouse, state, eventSync());
      expect(result.status).toBe('failed');
      expect(result.error).toMatchObject({ code: 'config_invalid' });
      expect(result.error?.message).toMatch(
        /sluice\.yaml:15: sync "clicks": the cursor: column "occurred_at" holds 1780000000, not a timestamp or date/,
      );
      expect(receiver.messages()).toEqual([]);
      expect(await state.ledger.cursorMark('clicks')).toBeNull();
    } finally {
      await state.close();
      await warehouse.close();
    }
  });

  it('is refused before anything is sent: a column the model lacks, or one of another type, at the cursor line', async () => {
    receiver.reset();
    const warehouse = await duckdbWarehouse(await mkdtemp(join(dir, 'refused-')));
    const state = await SqliteStateStore.open(join(await mkdtemp(join(dir, 'state-')), 'state.db'));
    try {
      await warehouse.append([{ id: 'e1', at: hoursBefore(1) }]);
      const missing = await run(warehouse, state, eventSync({ column: 'happened_at' }));
      expect(missing.status).toBe('failed');
      expect(missing.error).toMatchObject({ code: 'config_invalid' });
      expect(missing.error?.message).toMatch(
        /sluice\.yaml:15: sync "clicks": the cursor: column "happened_at" is not in the model/,
      );

      const text = await run(warehouse, state, eventSync({ column: 'label' }));
      expect(text.error).toMatchObject({ code: 'config_invalid' });
      expect(text.error?.message).toMatch(
        /sluice\.yaml:15: sync "clicks": the cursor: column "label" cannot order events: it is VARCHAR, not a TIMESTAMP, TIMESTAMPTZ or DATE/,
      );
      expect(receiver.messages()).toEqual([]);
      expect(await state.ledger.cursorMark('clicks')).toBeNull();
    } finally {
      await state.close();
    }
  });
});
