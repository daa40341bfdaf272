// Workers as separate processes on shared PostgreSQL state (SPEC §5): a worker killed with SIGKILL
// mid-run is taken over by another within a minute, and every row reaches the destination once,
// under one messageId; a worker stopped with SIGTERM hands its run on at once.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { WebhookCatcher } from './helpers/webhook-catcher.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const ENTRY = fileURLToPath(new URL('./helpers/sluice-entry.ts', import.meta.url));
const USERS = 20_000;
/** In the state URL (trust auth ignores it): it must never reach a log line. */
const PASSWORD = 'hunter2-state-pw';
/** Small syncs queued all at once. */
const SMALL = Array.from({ length: 12 }, (_, i) => `small-${i + 1}`);

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let catcher: WebhookCatcher;
let database: TestDatabase;
const children: ChildProcess[] = [];

/** A `sluice worker` process, and the JSON lines it logs. */
function worker(): { child: ChildProcess; events: Record<string, unknown>[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '-w', dir, 'worker'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  child.stderr!.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ event: 'text', line });
      }
    }
  });
  return { child, events };
}

async function until<T>(find: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-worker-processes-'));
  database = await createPostgresDatabase('sluice_workers');
  // Slow answers: a run of 20,000 users lasts long enough to be killed part way.
  receiver = await startReceiver({ port: 0, faults: { latencyMs: 300 } });
  catcher = await WebhookCatcher.start();
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, ${USERS + 1}) t(i);
     create table small as select i as id, 's' || i as name from range(1, 31) t(i)`,
  );
  await writeYaml(
    dir,
    `state: ${database.url.replace('postgres@', `postgres:${PASSWORD}@`)}
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}", concurrency: 1 }
models:
  users: { source: warehouse, sql: "select * from users" }
  small: { source: warehouse, sql: "select 's' || id as id, name from small" }
notify:
  ops: { type: webhook, url: "${catcher.url}/hook" }
webhooks: { notify: [ops], events: [run.completed] }
syncs:
  users: { model: users, destination: segment, object: user, key: { column: user_id }, mappings: { traits.email: email } }
${SMALL.map((name, i) => `  ${name}: { model: small, destination: segment, object: user, key: { column: id }, mappings: { traits.name: name, traits.n: { constant: ${i} } } }`).join('\n')}
`,
  );
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await receiver.close();
  await catcher.close();
  await database.drop();
  await cleanup();
});

/** Every user reached the receiver, each under exactly one messageId (among messages `since`). */
function expectEachUserOnce(since = 0): void {
  const ids = new Map<string, Set<string>>();
  for (const message of receiver.messages().slice(since)) {
    const set = ids.get(message.userId as string) ?? new Set<string>();
    set.add(message.messageId as string);
    ids.set(message.userId as string, set);
  }
  expect(ids.size).toBe(USERS);
  expect([...ids.values()].filter((set) => set.size > 1)).toEqual([]);
}

describe('sluice worker processes', () => {
  it('run 12 syncs queued at once, each once, three workers sharing them', async () => {
    const workers = [worker(), worker(), worker()];
    const sluice = await openWorkspace(dir);
    try {
      for (const name of SMALL)
        expect(await sluice.requestRun(name)).toMatchObject({ sync: name, status: 'queued' });
      const finished = () => workers.flatMap((w) => w.events.filter((e) => e.event === 'run_finished'));
      await until(() => (finished().length >= SMALL.length ? true : undefined), 60_000, 'every sync runs');
      expect(
        finished()
          .map((e) => [e.sync, e.status])
          .sort(),
      ).toEqual(SMALL.map((name) => [name, 'completed']).sort());
      // More than one worker took part, and each sync ran once.
      expect(workers.filter((w) => w.events.some((e) => e.event === 'run_finished')).length).toBeGreaterThan(
        1,
      );
      for (const name of SMALL) expect((await sluice.runs({ sync: name })).items).toHaveLength(1);
      expect(receiver.messages()).toHaveLength(12 * 30);
      expect(JSON.stringify(workers.map((w) => w.events))).not.toContain(PASSWORD);
      // The workers deliver the runs' webhooks between them, each once (the outbox's claims).
      await catcher.waitFor(SMALL.length, 30_000);
      await sleep(2_000);
      const completed = catcher.requests.map(
        (r) => (JSON.parse(r.body) as { data: { run_id: string } }).data.run_id,
      );
      expect(completed).toHaveLength(SMALL.length);
      expect(new Set(completed).size).toBe(SMALL.length);
      const delivered = workers.flatMap((w) => w.events.filter((e) => e.event === 'notification_delivered'));
      expect(delivered).toHaveLength(SMALL.length);
    } finally {
      await sluice.close();
      for (const w of workers) w.child.kill('SIGKILL');
    }
    receiver.reset();
  }, 120_000);

  it('take over the run of a worker killed with SIGKILL within a minute, nothing lost or doubled', async () => {
    const a = worker();
    const b = worker();
    const sluice = await openWorkspace(dir);
    try {
      expect(await sluice.requestRun('users')).toMatchObject({ status: 'queued' });
      const started = await until(
        () => [a, b].find((w) => w.events.some((e) => e.event === 'run_started')),
        30_000,
        'a worker starts the run',
      );
      const survivor = started === a ? b : a;
      await until(
        () => (receiver.messages().length > 0 ? true : undefined),
        30_000,
        'the first messages arrive',
      );
      started.child.kill('SIGKILL');
      const killedAt = Date.now();
      // The lease lapses (≤ 30 s), a worker notices (every 10 s) and asks for the run: within a minute.
      await until(
        () => survivor.events.find((e) => e.event === 'run_started'),
        60_000,
        'the other worker takes the run over',
      );
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      expect(survivor.events.some((e) => e.event === 'takeover_requested')).toBe(true);
      const finished = await until(
        () => survivor.events.find((e) => e.event === 'run_finished' && e.status === 'completed'),
        60_000,
        'the other worker finishes the run',
      );
      expect(finished.counts).toMatchObject({ failed: 0 });
      const runs = (await sluice.runs({ sync: 'users' })).items;
      expect(runs.map((r) => [r.status, r.error?.code ?? null])).toEqual([
        ['completed', null],
        ['failed', 'interrupted'],
      ]);
      expectEachUserOnce();
    } finally {
      await sluice.close();
      for (const w of [a, b]) w.child.kill('SIGKILL');
    }
  }, 180_000);

  it('hand the run of a worker stopped with SIGTERM on at once: it finishes its batches and exits 0', async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), "update users set email = 'new-' || email");
    const since = receiver.messages().length;
    const a = worker();
    const sluice = await openWorkspace(dir);
    try {
      await until(
        () => (a.events.some((e) => e.event === 'worker_started') ? true : undefined),
        30_000,
        'a starts',
      );
      await sluice.requestRun('users');
      await until(
        () => (a.events.some((e) => e.event === 'run_started') ? true : undefined),
        30_000,
        'a runs',
      );
      const b = worker();
      await until(() => (receiver.messages().length > since ? true : undefined), 30_000, 'messages arrive');
      a.child.kill('SIGTERM');
      const exit = await new Promise<number | null>((resolve) =>
        a.child.once('exit', (code) => resolve(code)),
      );
      expect(exit).toBe(0);
      expect(a.events.find((e) => e.event === 'run_finished')).toMatchObject({
        status: 'failed',
        error: { code: 'interrupted' },
      });
      const finished = await until(
        () => b.events.find((e) => e.event === 'run_finished' && e.status === 'completed'),
        60_000,
        'b finishes the run',
      );
      expect(finished.counts).toMatchObject({ failed: 0 });
      expectEachUserOnce(since);
    } finally {
      await sluice.close();
    }
  }, 120_000);
});
