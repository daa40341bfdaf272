// `sluice state migrate` (SPEC §5): a workspace's whole state — runs, records, what was delivered and
// what is pending — copied into another store; after switching `state:`, runs go on as if nothing
// happened: nothing delivered is sent again, and pending rows are retried under their messageIds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordDocument, RunDocument } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const USERS = 6_000;

let dir: string;
const cleanups: (() => Promise<void>)[] = [];
let database: TestDatabase;
let down: Receiver;
let good: Receiver;

/** `accounts` go to `accountsEndpoint`: a receiver refusing everything keeps them pending. */
function yaml(accountsEndpoint: string, state: string): string {
  return `state: ${state}
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${good.url}" }
  accounts: { type: segment, write_key: k, endpoint: "${accountsEndpoint}" }
models:
  users: { source: warehouse, sql: "select * from users" }
  events: { source: warehouse, sql: "select * from events" }
  accounts: { source: warehouse, sql: "select * from accounts" }
syncs:
  accounts:
    model: accounts
    destination: accounts
    object: user
    key: { column: account_id }
    mappings: { traits.name: name }
  users:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
  events:
    model: events
    destination: segment
    object: event
    key: { column: event_id }
    mappings: { event: name, userId: user_id, timestamp: at }
`;
}

async function json<T>(...args: string[]): Promise<T> {
  const run = await sluice('-w', dir, ...args, '--json');
  expect(run.stderr).toBe('');
  return run.json<T>();
}

/** Every run, and every record of each, as the CLI prints them. */
async function history(): Promise<{ runs: RunDocument[]; records: Record<string, RecordDocument[]> }> {
  const runs = await json<RunDocument[]>('runs', '--limit', '100');
  const records: Record<string, RecordDocument[]> = {};
  for (const run of runs)
    records[run.run_id] = await json<RecordDocument[]>('records', run.run_id, '--limit', '100000');
  return { runs, records };
}

beforeAll(async () => {
  // Every request refused (422: not retried), so the accounts stay pending.
  down = await startReceiver({ port: 0, faults: { failRate: 1, failStatus: 422 } });
  good = await startReceiver({ port: 0 });
  database = await createPostgresDatabase('sluice_state_migrate');
});

/** A workspace of its own for a test, with its warehouse. */
async function newWorkspace(): Promise<void> {
  const made = await tempWorkspace('sluice-state-migrate-');
  dir = made.dir;
  cleanups.push(made.cleanup);
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, ${USERS + 1}) t(i);
     create table events as select i as event_id, i % 50 as user_id, 'Signed Up' as name,
       timestamp '2025-01-01 00:00:00' + to_seconds(i) as at from range(1, 101) t(i);
     create table accounts as select 900000 + i as account_id, 'Account ' || i as name from range(1, 21) t(i)`,
  );
}

afterAll(async () => {
  await down.close();
  await good.close();
  await database.drop();
  for (const cleanup of cleanups) await cleanup();
});

describe('sluice state migrate', () => {
  it.each(['sqlite', 'postgres'])(
    'copies runs, records, deliveries and pending rows into %s; runs on the copy resend nothing',
    async (kind) => {
      await newWorkspace();
      const target = kind === 'sqlite' ? 'sqlite:moved/state.db' : database.url;
      await writeYaml(dir, yaml(down.url, 'sqlite:.sluice/state.db'));
      await sluice('-w', dir, 'sync', 'run', 'users', 'events', 'accounts');
      await duckdb(join(dir, 'warehouse.duckdb'), 'delete from users where user_id <= 10');
      await sluice('-w', dir, 'sync', 'run', 'users');
      const before = await history();
      expect(before.runs.find((r) => r.sync === 'users')?.counts.removed).toBe(10);
      const accountsRun = before.runs.find((r) => r.sync === 'accounts')!;
      const failed = before.records[accountsRun.run_id]!.filter((r) => r.status === 'failed');
      expect(failed).toHaveLength(20);

      const copied = await json<{ runs: number; records: number; keys: number; replaced: boolean }>(
        'state',
        'migrate',
        '--to',
        target,
      );
      const records = Object.values(before.records).reduce((n, list) => n + list.length, 0);
      expect(copied).toMatchObject({
        runs: before.runs.length,
        records,
        keys: USERS + 100 + 20,
        replaced: false,
      });

      // Not over a state without --force; with it, replaced.
      const again = await sluice('-w', dir, 'state', 'migrate', '--to', target);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(
        /already holds a state \(runs, keys or API tokens\): add --force to replace it/,
      );
      expect(await json('state', 'migrate', '--to', target, '--force')).toMatchObject({
        replaced: true,
      });

      await writeYaml(dir, yaml(good.url, target));
      expect(await history()).toEqual(before);

      good.reset();
      const runs = await json<SyncRunResult[]>('sync', 'run', 'users', 'events', 'accounts');
      expect(runs.map((run) => [run.sync, run.counts.planned])).toEqual([
        ['users', 0],
        ['events', 0],
        ['accounts', 20],
      ]);
      // The pending accounts, retried under the messageIds they were pending with.
      expect(
        good
          .messages()
          .map((m) => m.messageId)
          .sort(),
      ).toEqual(failed.map((r) => r.message_id).sort());
    },
    120_000,
  );

  it('refuses a target it cannot use, naming no password', async () => {
    await newWorkspace();
    await writeYaml(dir, yaml(good.url, 'sqlite:.sluice/state.db'));
    const bad = await sluice('-w', dir, 'state', 'migrate', '--to', 'mysql://root:hunter2@localhost/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to must be postgres:\/\/USER:PASSWORD@HOST:5432\/DB or sqlite:PATH/);
    expect(bad.stderr).not.toMatch(/hunter2/);
  });
});
