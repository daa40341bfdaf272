// Runs that tell the truth (issue "Honest runs"): a run whose rows did not reach Segment exits 1 and
// says so last and loudly; progress lines keep coming on a log while batches wait on retries, with
// the reason; a killed run shows what it did; removed keys are counted and listed once; dry runs
// show invalid rows; whether a sync "completed before" does not depend on how many runs failed since.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { SqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { spawnSluice } from './helpers/spawn-cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let receiver: Receiver;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await receiver?.close();
  for (const cleanup of cleanups) await cleanup();
});

/** A workspace whose `users` sync reads `sql` from a DuckDB warehouse built by `setup`. */
async function workspace(options: {
  setup: string;
  endpoint?: string;
  sql?: string;
  sync?: string;
}): Promise<string> {
  const { dir, cleanup } = await tempWorkspace();
  cleanups.push(cleanup);
  await duckdb(join(dir, 'warehouse.duckdb'), options.setup);
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: honest-key, endpoint: "${options.endpoint ?? receiver.url}" }
models:
  users: { source: warehouse, sql: "${options.sql ?? 'select * from users'}" }
  events: { source: warehouse, sql: "select * from events" }
syncs:
${
  options.sync ??
  `  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
`
}`,
  );
  return dir;
}

/** Events 1–3 and an event sync with `backfill: false`. */
function eventsWorkspace(): Promise<string> {
  return workspace({
    setup:
      "create table users (id int, email text); create table events as select i as id, 'u' || i as user_id from range(1, 4) t(i)",
    sync: `  events:
    model: events
    destination: segment
    object: event
    key: { column: id }
    backfill: false
    mappings:
      event: { constant: Signed Up }
      userId: user_id
`,
  });
}

async function run(dir: string, sync = 'users', ...extra: string[]) {
  const out = await sluice('-w', dir, 'sync', 'run', sync, '--json', ...extra);
  return { code: out.code, result: out.json<SyncRunResult>(), stderr: out.stderr };
}

/** A loopback server answering every request 503 with `Retry-After: 1`, counting requests. */
async function unavailable(): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":"upstream down"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests: () => requests };
}

describe('a run whose rows could not be delivered', () => {
  it('exits 1 with a loud last line, after progress lines naming the retries and their reason', async () => {
    const down = await unavailable();
    const dir = await workspace({
      setup:
        "create table users as select i as id, 'u' || i || '@example.com' as email from range(1, 4) t(i)",
      endpoint: down.url,
    });
    // Not a TTY: progress comes as plain lines every few seconds, also while a batch waits.
    const out = await spawnSluice(['-w', dir, 'sync', 'run', 'users']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/Sync users: completed/);
    expect(out.stdout).toMatch(/delivered 0 · failed 3/);
    expect(out.stderr).toMatch(
      /users: 3 read · 3 planned · 0 delivered · 0 failed · retrying 1 batch: HTTP 503/,
    );
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^✗ users: 3 rows could not be delivered; they stay pending and the next run retries them\. See why: sluice records r_\w+ --status failed$/,
    );
    expect(down.requests()).toBeGreaterThan(1);
  }, 60_000);

  it('still exits 0 for invalid rows alone, and 3 with --strict', async () => {
    const dir = await workspace({
      setup:
        "create table users as select * from (values (1, 'a@example.com'), (1, 'dup@example.com'), (2, 'b@example.com')) t(id, email)",
    });
    const plain = await run(dir);
    expect(plain.result.counts).toMatchObject({ invalid: 2, succeeded: 1, failed: 0 });
    expect(plain.code).toBe(0);
    await duckdb(join(dir, 'warehouse.duckdb'), "update users set email = 'b2@example.com' where id = 2");
    const strict = await run(dir, 'users', '--strict');
    expect(strict.result.counts).toMatchObject({ invalid: 2, succeeded: 1 });
    expect(strict.code).toBe(3);
  });
});

describe('a run killed part-way', () => {
  it('is shown with the counts it reached, not zeros', async () => {
    const dir = await workspace({
      setup:
        "create table users as select i as id, 'u' || i || '@example.com' as email from range(1, 100001) t(i)",
    });
    receiver.reset();
    // Slow answers keep the run going for several seconds; it is killed once it has delivered some
    // batches and had time to store its counts (every 2 s), whatever the machine's load.
    receiver.setFaults({ latencyMs: 1_000 });
    let firstDelivery = 0;
    let pid = 0;
    const watcher = setInterval(() => {
      if (pid === 0 || receiver.messages().length === 0) return;
      firstDelivery ||= Date.now();
      if (receiver.messages().length >= 5_000 && Date.now() - firstDelivery > 4_500) {
        process.kill(pid, 'SIGKILL');
        pid = 0;
      }
    }, 50);
    try {
      const killed = await spawnSluice(['-w', dir, 'sync', 'run', 'users'], {
        onStarted: (p) => {
          pid = p;
        },
      });
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      clearInterval(watcher);
      receiver.setFaults({});
    }
    const [dead] = (await sluice('-w', dir, 'runs', '--json')).json<SyncRunResult[]>();
    expect(dead!.status).toBe('running');
    expect(dead!.counts.extracted).toBeGreaterThan(0);
    expect(dead!.counts.succeeded).toBeGreaterThan(0);
    // The next run closes it as interrupted, keeping those counts.
    await run(dir);
    const runs = (await sluice('-w', dir, 'runs', '--json')).json<SyncRunResult[]>();
    const closed = runs.find((r) => r.run_id === dead!.run_id)!;
    expect(closed.status).toBe('failed');
    expect(closed.error?.code).toBe('interrupted');
    expect(closed.counts.succeeded).toBe(dead!.counts.succeeded);
  }, 60_000);
});

describe('removed rows', () => {
  it('counts a delivered key absent from the model once, lists it, sends nothing, and keeps its state', async () => {
    const dir = await workspace({
      setup:
        "create table users as select i as id, 'u' || i || '@example.com' as email from range(1, 6) t(i)",
    });
    receiver.reset();
    expect((await run(dir)).result.counts).toMatchObject({ succeeded: 5, removed: 0 });
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from users where id in (2, 4)');

    const dry = (await run(dir, 'users', '--dry-run')).result;
    expect(dry.counts.removed).toBe(2);

    const found = await run(dir);
    expect(found.code).toBe(0);
    expect(found.result.counts).toMatchObject({ extracted: 3, unchanged: 3, planned: 0, removed: 2 });
    const records = (
      await sluice('-w', dir, 'records', found.result.run_id, '--status', 'removed', '--json')
    ).json<{ key: string; status: string; reason: string }[]>();
    expect(records.map((r) => r.key).sort()).toEqual(['2', '4']);
    expect(records.every((r) => r.status === 'removed' && r.reason === 'absent')).toBe(true);
    expect(receiver.messages()).toHaveLength(5);

    // Listed by the first run that finds it absent, not again.
    expect((await run(dir)).result.counts.removed).toBe(0);
    // Back unchanged: its state was kept, so nothing is sent; gone again: news again.
    await duckdb(join(dir, 'warehouse.duckdb'), "insert into users values (2, 'u2@example.com')");
    expect((await run(dir)).result.counts).toMatchObject({ unchanged: 4, planned: 0, removed: 0 });
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from users where id = 2');
    expect((await run(dir)).result.counts.removed).toBe(1);
    expect(receiver.messages()).toHaveLength(5);
    // One flagged key back and another gone in the same run: the counts alone balance out, the
    // removal is still found.
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      "insert into users values (2, 'u2@example.com'); delete from users where id = 3",
    );
    const swapped = await run(dir);
    expect(swapped.result.counts).toMatchObject({ removed: 1, unchanged: 3 });
    const gone = (
      await sluice('-w', dir, 'records', swapped.result.run_id, '--status', 'removed', '--json')
    ).json<{ key: string }[]>();
    expect(gone.map((r) => r.key)).toEqual(['3']);
    // A full resync finds removals too, and resends only what is there.
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from users where id = 5');
    const resync = await run(dir, 'users', '--full-resync');
    expect(resync.result.counts).toMatchObject({ extracted: 2, planned: 2, succeeded: 2, removed: 1 });
  });

  it('does not count keys of invalid rows, which are still in the model', async () => {
    const dir = await workspace({
      setup:
        "create table users as select i as id, 'u' || i || '@example.com' as email from range(1, 4) t(i)",
    });
    await run(dir);
    await duckdb(join(dir, 'warehouse.duckdb'), "insert into users values (3, 'again@example.com')");
    expect((await run(dir)).result.counts).toMatchObject({ invalid: 2, unchanged: 2, removed: 0 });
  });
});

describe('removed events', () => {
  it('counts only events that were sent: a backfill: false baseline only remembered its rows', async () => {
    const dir = await eventsWorkspace();
    expect((await run(dir, 'events')).result.counts).toMatchObject({ unchanged: 3, removed: 0 });
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      "delete from events where id = 2; insert into events values (4, 'u4')",
    );
    expect((await run(dir, 'events')).result.counts).toMatchObject({ new: 1, succeeded: 1, removed: 0 });
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from events where id in (3, 4)');
    const found = await run(dir, 'events');
    expect(found.result.counts.removed).toBe(1);
    const records = (
      await sluice('-w', dir, 'records', found.result.run_id, '--status', 'removed', '--json')
    ).json<{ key: string; message_id: string | null }[]>();
    expect(records.map((r) => r.key)).toEqual(['4']);
    expect(records[0]!.message_id).toMatch(/^sl-/);
    expect((await run(dir, 'events')).result.counts.removed).toBe(0);
  });
});

describe('a dry run', () => {
  it('shows invalid rows with their reasons, and how many rows it does not show', async () => {
    const dir = await workspace({
      setup:
        "create table users as select i as id, case when i % 5 = 0 then null else 'u' || i end as email from range(1, 31) t(i) union all select null, 'nokey'",
      sync: `  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      timestamp: { template: "{% if email %}2024-01-01T00:00:00Z{% else %}never{% endif %}" }
`,
    });
    const out = await sluice('-w', dir, 'sync', 'run', 'users', '--dry-run', '--json');
    const result = out.json<SyncRunResult>();
    expect(result.counts).toMatchObject({ extracted: 31, invalid: 7, planned: 24 });
    expect(result.samples).toHaveLength(10);
    expect(result.invalid_samples).toHaveLength(7);
    expect(result.not_shown).toEqual({ planned: 14, invalid: 0 });
    const reasons = new Set(result.invalid_samples!.map((s) => s.reason));
    expect(reasons).toEqual(new Set(['null_key', 'invalid_timestamp']));
    expect(result.invalid_samples!.find((s) => s.reason === 'null_key')).toMatchObject({ key: null });
    expect(result.invalid_samples!.find((s) => s.key === '5')?.detail).toMatch(/timestamp/);

    const human = await sluice('-w', dir, 'sync', 'run', 'users', '--dry-run');
    expect(human.stdout).toMatch(/✗ 5 — invalid: invalid_timestamp/);
    expect(human.stdout).toMatch(/… and 14 more planned, 0 more invalid rows not shown/);
  });
});

describe('whether a sync has completed before', () => {
  it('is not forgotten after more than 100 failed runs (backfill: false sends new events)', async () => {
    const dir = await eventsWorkspace();
    receiver.reset();
    const baseline = await run(dir, 'events');
    expect(baseline.result.counts).toMatchObject({ extracted: 3, planned: 0, unchanged: 3 });

    // 120 failed runs since, as a broken warehouse would leave behind, and one that died running.
    const store = await SqliteStateStore.open(join(dir, '.sluice', 'state.db'));
    const at = new Date().toISOString();
    const dead = await store.runs.start({ sync: 'events', fullResync: false, startedAt: at });
    for (let i = 0; i < 120; i++) {
      const failed = await store.runs.start({ sync: 'events', fullResync: false, startedAt: at });
      await store.runs.finish(failed, {
        status: 'failed',
        counts: baseline.result.counts,
        finishedAt: at,
        error: { code: 'source_error', message: 'the warehouse was down' },
      });
    }
    await store.close();

    await duckdb(join(dir, 'warehouse.duckdb'), "insert into events values (4, 'u4'), (5, 'u5')");
    const after = await run(dir, 'events');
    expect(after.result.counts).toMatchObject({ extracted: 5, unchanged: 3, new: 2, succeeded: 2 });
    expect(
      receiver
        .messages()
        .map((m) => m.userId)
        .sort(),
    ).toEqual(['u4', 'u5']);
    // The run that died 121 runs ago is closed too, not left "running" forever.
    const runs = (await sluice('-w', dir, 'runs', 'events', '--limit', '500', '--json')).json<
      SyncRunResult[]
    >();
    expect(runs.find((r) => r.run_id === dead)).toMatchObject({
      status: 'failed',
      error: { code: 'interrupted' },
    });
  });
});
