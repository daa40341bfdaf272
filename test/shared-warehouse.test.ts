// Sources are read-only (SPEC §5): two Sluice processes read one DuckDB file at the same time — the
// way workers on one machine, or a `serve` and a CLI run, share a warehouse file — and a model that
// tries to write is told why it cannot.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { spawnSluice } from './helpers/spawn-cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-shared-warehouse-'));
  // Slow answers keep both runs reading (their cursors open) while the other one starts.
  receiver = await startReceiver({ port: 0, faults: { latencyMs: 300 } });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, 3001) t(i);
     create table accounts as select i as account_id, 'Account ' || i as name from range(1, 3001) t(i);
     create sequence user_ids`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
  accounts: { source: warehouse, sql: "select * from accounts" }
  # A sequence's nextval writes to the database file.
  writes: { source: warehouse, sql: "select nextval('user_ids') as user_id, email from users" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
  accounts:
    model: accounts
    destination: segment
    object: user
    key: { column: account_id }
    mappings: { traits.name: name }
  writes:
    model: writes
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
`,
  );
});

afterAll(async () => {
  await receiver.close();
  await cleanup();
});

describe('a DuckDB warehouse file', () => {
  it('is read by two sluice processes at once', async () => {
    const [users, accounts] = await Promise.all([
      spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']),
      spawnSluice(['-w', dir, 'sync', 'run', 'accounts', '--json']),
    ]);
    for (const run of [users, accounts]) {
      expect(run.stderr).not.toMatch(/lock/i);
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as SyncRunResult).counts).toMatchObject({
        extracted: 3000,
        succeeded: 3000,
      });
    }
  }, 60_000);

  it('is not held by an open workspace between runs: another process writes it, the next run sees it', async () => {
    const sluice = await openWorkspace(dir);
    try {
      await sluice.run('users');
      // Another program (a dbt build, say) opens the file for writing while Sluice stays open.
      const write = `
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const db = await DuckDBInstance.create(process.argv[1]);
        const c = await db.connect();
        await c.run("update users set email = 'changed@example.com' where user_id = 1");
        c.closeSync(); db.closeSync();`;
      await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', write, join(dir, 'warehouse.duckdb')],
        {
          cwd: process.cwd(),
        },
      );
      expect((await sluice.run('users')).counts).toMatchObject({ changed: 1, succeeded: 1 });
    } finally {
      await sluice.close();
    }
  });

  it('refuses a model that writes, saying that sources are read-only', async () => {
    const run = await sluice('-w', dir, 'sync', 'run', 'writes', '--json');
    expect(run.code).toBe(1);
    expect(run.json<SyncRunResult>().error).toMatchObject({
      code: 'source_error',
      message: expect.stringMatching(
        /attached in read-only mode.*the model must only read: Sluice opens DuckDB files read-only/,
      ),
    });
  });
});
