// Runs asked for, not run at once (SPEC §6): `requestRun` queues a run in the history, a worker in
// this process (what `sluice serve` runs on SQLite state) starts it by its id; cancel from anywhere;
// API dry runs kept with their samples. Real DuckDB, SQLite state and the receiver over loopback.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspace, type RunDocument, type Sluice, type Worker, type WorkerEvent } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { openStateStore } from '../src/state/registry.js';
import { until as waitUntil } from './helpers/serve-process.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let sluice: Sluice;
let worker: Worker | null = null;

beforeAll(async () => {
  receiver = await startReceiver({ port: 0 });
});

beforeEach(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-queued-'));
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, 3001) t(i);
     create table many as select i as user_id, 'm' || i || '@example.com' as email from range(1, 40001) t(i);
     create table orders as select i as order_id, i % 50 as user_id from range(1, 11) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
  orders: { source: warehouse, sql: "select * from orders" }
  many: { source: warehouse, sql: "select * from many" }
syncs:
  users: { model: users, destination: segment, object: user, key: { column: user_id }, mappings: { traits.email: email } }
  many: { model: many, destination: segment, object: user, key: { column: user_id }, mappings: { traits.email: email } }
  orders:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }
    mappings: { event: { constant: Order Completed }, userId: user_id }
`,
  );
  sluice = await openWorkspace(dir);
  receiver.reset();
  receiver.setFaults({});
});

afterEach(async () => {
  await worker?.stop({ hard: true });
  worker = null;
  await sluice.close();
  await cleanup();
});

afterAll(async () => {
  await receiver.close();
});

/** Polls `probe` until it answers something (serve-process.ts `until`, the reason first). */
function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 20_000,
): Promise<T> {
  return waitUntil(probe, ms, what);
}

async function finished(runId: string): Promise<RunDocument> {
  return until(async () => {
    const run = await sluice.getRun(runId);
    return run !== null && (run.status === 'completed' || run.status === 'failed') ? run : undefined;
  }, `run ${runId} ends`);
}

describe('requestRun', () => {
  it('queues a run that a worker in this process starts by its id', async () => {
    const queued = await sluice.requestRun('users');
    expect(queued).toMatchObject({ sync: 'users', status: 'queued', dry_run: false, finished_at: null });
    expect(queued.requested_at).toBe(queued.started_at);
    // Asked again while it waits: the same run answers.
    expect((await sluice.requestRun('users')).run_id).toBe(queued.run_id);
    const events: WorkerEvent[] = [];
    worker = await sluice.startWorker({ log: (event) => events.push(event) });
    const run = await finished(queued.run_id);
    expect(run).toMatchObject({ status: 'completed', counts: { planned: 3000, succeeded: 3000 } });
    expect(Date.parse(run.started_at)).toBeGreaterThanOrEqual(Date.parse(queued.requested_at!));
    expect(events).toContainEqual(expect.objectContaining({ event: 'run_started', run_id: queued.run_id }));
    expect((await sluice.runs({ sync: 'users' })).items).toHaveLength(1);
  });

  it('keeps a dry run in the history with its samples, and changes nothing', async () => {
    worker = await sluice.startWorker();
    const queued = await sluice.requestRun('users', { dryRun: true });
    const run = await finished(queued.run_id);
    expect(run).toMatchObject({
      dry_run: true,
      status: 'completed',
      counts: { planned: 3000, succeeded: 0 },
      not_shown: { planned: 2990, invalid: 0 },
    });
    expect(run.samples).toHaveLength(10);
    expect(run.samples![0]).toMatchObject({ reason: 'new', message: { type: 'identify' } });
    expect(receiver.messages()).toHaveLength(0);
    // The real run after it still finds every user new.
    const real = await finished((await sluice.requestRun('users')).run_id);
    expect(real.counts).toMatchObject({ new: 3000, succeeded: 3000 });
    expect((await sluice.runs({ sync: 'users', status: 'completed' })).items.map((r) => r.dry_run)).toEqual([
      false,
      true,
    ]);
  });

  it('refuses a full resync of events, and a real run while one runs (409-worthy), with clear codes', async () => {
    await expect(sluice.requestRun('orders', { fullResync: true })).rejects.toMatchObject({ code: 'usage' });
    await expect(sluice.requestRun('nope')).rejects.toMatchObject({ code: 'not_found' });
    receiver.setFaults({ latencyMs: 300 });
    worker = await sluice.startWorker();
    const first = await sluice.requestRun('users');
    await until(
      async () => ((await sluice.getRun(first.run_id))?.status === 'running' ? true : undefined),
      'runs',
    );
    await expect(sluice.requestRun('users')).rejects.toMatchObject({
      code: 'sync_locked',
      message: expect.stringContaining('already running'),
    });
    // A dry run may look while it runs.
    expect((await sluice.requestRun('users', { dryRun: true })).status).toBe('queued');
  });

  it('is started after a restart: a queued run waits in the history, not in memory', async () => {
    const queued = await sluice.requestRun('users');
    await sluice.close();
    sluice = await openWorkspace(dir);
    worker = await sluice.startWorker();
    expect(await finished(queued.run_id)).toMatchObject({ status: 'completed' });
  });
});

describe('cancelRun', () => {
  it('ends a queued run at once, and no worker starts it', async () => {
    const queued = await sluice.requestRun('users');
    const cancelled = await sluice.cancelRun(queued.run_id);
    expect(cancelled).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
    const events: WorkerEvent[] = [];
    worker = await sluice.startWorker({ log: (event) => events.push(event) });
    await until(() => events.find((e) => e.event === 'run_refused'), 'the worker refuses it');
    expect(events).toContainEqual(expect.objectContaining({ event: 'run_refused', code: 'run_finished' }));
    expect(receiver.messages()).toHaveLength(0);
    await expect(sluice.cancelRun(queued.run_id)).rejects.toMatchObject({ code: 'run_finished' });
    await expect(sluice.cancelRun('run_nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('stops a running run within seconds: batches in flight recorded, the rest pending for the next run', async () => {
    receiver.setFaults({ latencyMs: 1500 });
    worker = await sluice.startWorker();
    const queued = await sluice.requestRun('many');
    await until(
      async () => ((await sluice.getRun(queued.run_id))?.counts.succeeded ?? 0) > 0 || undefined,
      'sends',
    );
    const asked = Date.now();
    expect((await sluice.cancelRun(queued.run_id)).cancel_requested_at).toEqual(expect.any(String));
    const run = await finished(queued.run_id);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(run).toMatchObject({
      status: 'failed',
      error: { code: 'interrupted', message: expect.stringContaining('cancelled') },
    });
    expect(run.counts.succeeded).toBeLessThan(40_000);
    expect(run.counts.succeeded).toBe(receiver.messages().length);
    // Not asked again by the worker (a cancel is not a shutdown); the next run sends the rest, once.
    receiver.setFaults({});
    const next = await finished((await sluice.requestRun('many')).run_id);
    expect(next.status).toBe('completed');
    expect(new Set(receiver.messages().map((m) => m.userId)).size).toBe(40_000);
    expect(receiver.messages()).toHaveLength(40_000);
  });
});

describe('a dry run whose process died', () => {
  it('is closed by the worker: its own lock is gone, and it holds nothing to take over', async () => {
    // A dry run left `running` by a process that died: in the history, its lock gone with it.
    const state = await openStateStore({ kind: 'sqlite', path: join(dir, '.sluice', 'state.db') });
    try {
      const dead = await state.runs.start({
        sync: 'users',
        fullResync: false,
        dryRun: true,
        startedAt: new Date().toISOString(),
      });
      const events: WorkerEvent[] = [];
      worker = await sluice.startWorker({ log: (event) => events.push(event) });
      await until(() => events.find((e) => e.event === 'dead_dry_runs_closed'), 'the dead dry run is closed');
      expect(await sluice.getRun(dead)).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
      // No run of the sync was asked for: a dry run leaves nothing pending.
      expect(events.some((e) => e.event === 'takeover_requested')).toBe(false);
    } finally {
      await state.close();
    }
  });
});

describe('records of one key', () => {
  it('lists a run’s records for one key', async () => {
    worker = await sluice.startWorker();
    const run = await finished((await sluice.requestRun('users')).run_id);
    const page = await sluice.records(run.run_id, { key: '42' });
    expect(page.items).toEqual([expect.objectContaining({ key: '42', status: 'succeeded' })]);
    expect((await sluice.records(run.run_id, { key: '42', status: 'failed' })).items).toEqual([]);
  });
});
