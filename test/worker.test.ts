// Workers (SPEC §5): run requests in PostgreSQL (pg-boss), runs owned through the state store's
// lease. In-process workers over a real queue, a real state store, DuckDB and the receiver.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Sluice, type WorkerEvent } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { PgBossQueue } from '../src/schedule/pg-boss-queue.js';
import { Worker } from '../src/schedule/worker.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { openStateStore } from '../src/state/registry.js';
import type { StateStore } from '../src/state/state-store.js';
import { sluice as cli } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let database: TestDatabase;
let sluice: Sluice;
let queue: PgBossQueue;
/** A second connection to the workspace's state: what the test looks at and arranges. */
let state: StateStore;
const workers: Worker[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-worker-'));
  database = await createPostgresDatabase('sluice_worker');
  // Slow answers keep a run going long enough to be stopped part way.
  receiver = await startReceiver({ port: 0, faults: { latencyMs: 200 } });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, 201) t(i);
     create table accounts as select i as account_id, 'A' || i as name from range(1, 201) t(i)`,
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
syncs:
  users: { model: users, destination: segment, object: user, key: { column: user_id }, mappings: { traits.email: email } }
  accounts: { model: accounts, destination: segment, object: user, key: { column: account_id }, mappings: { traits.name: name } }
`,
  );
  sluice = await openWorkspace(dir);
  queue = await PgBossQueue.open({ url: database.url });
  state = await openStateStore({ kind: 'sqlite', path: join(dir, '.sluice', 'state.db') });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop({ hard: true })));
});

afterAll(async () => {
  await queue.close();
  await state.close();
  await sluice.close();
  await receiver.close();
  await database.drop();
  await cleanup();
});

/** A worker over the shared queue, logging into `events`. */
async function startWorker(events: WorkerEvent[], options: { concurrency?: number } = {}): Promise<Worker> {
  const worker = new Worker({
    runner: sluice,
    state,
    queue,
    syncs: ['users', 'accounts'],
    pollMs: 100,
    takeoverEveryMs: 200,
    busyRetryMs: 300,
    log: (event) => events.push(event),
    ...options,
  });
  worker.start();
  workers.push(worker);
  return worker;
}

/** Resolves once `events` holds an event that `match` accepts (polling, up to `ms`). */
async function until(
  events: WorkerEvent[],
  match: (event: WorkerEvent) => boolean,
  ms = 20_000,
): Promise<WorkerEvent> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = events.find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`no such worker event within ${ms} ms: ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const finished = (sync: string) => (event: WorkerEvent) =>
  event.event === 'run_finished' && event.sync === sync;

describe('a worker', () => {
  it('runs requested syncs, at most one waiting request per sync', async () => {
    const first = await queue.request({ sync: 'users', reason: 'manual' });
    expect(first).toEqual(expect.any(String));
    expect(await queue.request({ sync: 'users', reason: 'manual' })).toBeNull();
    expect(await queue.request({ sync: 'accounts', reason: 'manual' })).toEqual(expect.any(String));
    expect(await queue.depth()).toBe(2);
    const events: WorkerEvent[] = [];
    await startWorker(events, { concurrency: 2 });
    for (const sync of ['users', 'accounts']) {
      const done = await until(events, finished(sync));
      expect(done).toMatchObject({ result: { status: 'completed', counts: { succeeded: 200 } } });
    }
    expect(await queue.depth()).toBe(0);
  });

  it('runs a request for a sync that runs elsewhere after that run, not beside it', async () => {
    const other = { id: 'elsewhere', host: 'another-machine', pid: 1, label: 'sluice sync run users' };
    expect(await state.locks.acquire('sync:users', other, 60_000)).toEqual({ acquired: true });
    await queue.request({ sync: 'users', reason: 'manual' });
    const events: WorkerEvent[] = [];
    await startWorker(events);
    expect(await until(events, (e) => e.event === 'run_refused')).toMatchObject({
      sync: 'users',
      code: 'sync_locked',
      requeued: true,
    });
    expect(events.some(finished('users'))).toBe(false);
    await state.locks.release('sync:users', 'elsewhere');
    expect(await until(events, finished('users'))).toMatchObject({ result: { status: 'completed' } });
  });

  it('takes over a run whose process died, once its lease has lapsed', async () => {
    // A run left `running` by a process that died: its lease (1 ms) has run out, unrenewed.
    const dead = await state.runs.start({
      sync: 'accounts',
      fullResync: false,
      startedAt: new Date().toISOString(),
    });
    await state.locks.acquire('sync:accounts', { id: 'dead', host: 'lost-machine', pid: 1, label: dead }, 1);
    const events: WorkerEvent[] = [];
    await startWorker(events);
    await until(events, (e) => e.event === 'takeover_requested' && e.sync === 'accounts');
    const done = await until(events, finished('accounts'));
    expect(done).toMatchObject({ result: { status: 'completed' } });
    expect(await state.runs.get(dead)).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
  });

  it('on stop, lets its run finish the batches in flight and asks for the rest to be run again', async () => {
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      `update users set email = 'again-' || email;
       insert into users select i, 'again-u' || i || '@example.com' from range(201, 20001) t(i)`,
    );
    await queue.request({ sync: 'users', reason: 'manual' });
    const events: WorkerEvent[] = [];
    const worker = await startWorker(events);
    await until(events, (e) => e.event === 'run_started');
    await worker.stop();
    const done = await until(events, finished('users'));
    expect(done).toMatchObject({ result: { status: 'failed', error: { code: 'interrupted' } } });
    // Asked again at once, so that another worker carries on.
    expect(await queue.depth()).toBe(1);
    const next: WorkerEvent[] = [];
    await startWorker(next);
    expect(await until(next, finished('users'))).toMatchObject({ result: { status: 'completed' } });
    // Every user was delivered exactly once across the two runs, under one messageId each.
    const sent = receiver
      .messages()
      .filter((m) => String(m.traits && (m.traits as { email?: string }).email).startsWith('again-'));
    expect(sent).toHaveLength(20_000);
    expect(new Set(sent.map((m) => m.userId)).size).toBe(20_000);
  });
});

describe('sluice worker', () => {
  it('needs the state shared in PostgreSQL, and says so', async () => {
    const run = await cli('-w', dir, 'worker');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /sluice worker shares runs through the state in PostgreSQL: set state: postgres:\/\//,
    );
  });
});

describe('the run queue in PostgreSQL', () => {
  it('opens in many processes at once on a fresh database', async () => {
    const fresh = await createPostgresDatabase('sluice_queue_race');
    try {
      const queues = await Promise.all(Array.from({ length: 6 }, () => PgBossQueue.open({ url: fresh.url })));
      expect(await queues[0]!.request({ sync: 'users', reason: 'manual', runId: 'r_1' })).toEqual(
        expect.any(String),
      );
      expect(await queues[5]!.depth()).toBe(1);
      await Promise.all(queues.map((queue) => queue.close()));
    } finally {
      await fresh.drop();
    }
  });
});
