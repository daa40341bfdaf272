// Nothing lost, nothing doubled: real `sluice sync run` processes are SIGKILLed at many points of the
// pipe; the next run must finish the work so that every user reaches the receiver exactly once, and
// no user is ever delivered under two messageIds (issue "Nothing lost, nothing doubled", item 1).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { withoutProgress } from './helpers/cli.js';
import { spawnSluice } from './helpers/spawn-cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

async function makeWarehouse(users: number): Promise<void> {
  await rm(join(dir, 'warehouse.duckdb'), { force: true });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as id, 'user' || i || '@example.com' as email, i % 7 as score
     from range(1, ${users + 1}) t(i)`,
  );
}

async function freshState(): Promise<void> {
  await rm(join(dir, '.sluice'), { recursive: true, force: true });
  receiver.reset();
}

/** Every user exactly once at the receiver: copies (same messageId) were dropped by its dedup. */
function expectEachUserOnce(users: number): void {
  const perUser = new Map<string, number>();
  for (const m of receiver.messages())
    perUser.set(String(m.userId), (perUser.get(String(m.userId)) ?? 0) + 1);
  expect(perUser.size).toBe(users);
  const doubled = [...perUser].filter(([, n]) => n > 1);
  expect(doubled).toEqual([]);
  expect(receiver.stats().discarded).toBe(0);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: crash-key, endpoint: "${receiver.url}", concurrency: 4 }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.score: score
`,
  );
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

describe('a sync killed with SIGKILL', () => {
  const USERS = 6000;

  it.each(['read:1', 'read:2', 'planned:1', 'planned:3', 'sent:1', 'sent:2', 'sent:3'])(
    'at %s is finished by the next run, each user delivered once',
    async (fault) => {
      await makeWarehouse(USERS);
      await freshState();
      const killed = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json'], {
        env: { SLUICE_FAULT: fault },
      });
      expect(killed.signal).toBe('SIGKILL');

      const rerun = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
      // Nothing to say besides progress (printed every 5 s, so only when the machine is slow).
      expect(withoutProgress(rerun.stderr)).toBe('');
      expect(rerun.code).toBe(0);
      const result = JSON.parse(rerun.stdout) as SyncRunResult;
      expect(result.status).toBe('completed');
      expect(result.counts.failed).toBe(0);
      expectEachUserOnce(USERS);

      const third = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
      expect((JSON.parse(third.stdout) as SyncRunResult).counts).toMatchObject({
        planned: 0,
        unchanged: USERS,
      });
    },
  );

  it('partway through 50,000 users, then rerun: every user once, none under two messageIds', async () => {
    const users = 50_000;
    await makeWarehouse(users);
    await freshState();
    const killed = await spawnSluice(['-w', dir, 'sync', 'run', 'users'], {
      env: { SLUICE_FAULT: 'sent:12' },
    });
    expect(killed.signal).toBe('SIGKILL');
    const before = receiver.messages().length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(users);

    const rerun = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
    expect(rerun.code).toBe(0);
    expect((JSON.parse(rerun.stdout) as SyncRunResult).status).toBe('completed');
    expectEachUserOnce(users);
  });

  it('after a kill once answers were lost, sends rows edited meanwhile again, under new ids', async () => {
    // A user's first message is not saved as pending before it is sent (its id carries its payload
    // hash instead): a row whose first message may have reached Segment and that then changed must
    // still arrive with its new values, not be dropped as a copy.
    await makeWarehouse(USERS);
    await freshState();
    const killed = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json'], {
      env: { SLUICE_FAULT: 'sent:2' },
    });
    expect(killed.signal).toBe('SIGKILL');
    // Users whose message reached the receiver but whose answer the killed run never recorded.
    const state = new Database(join(dir, '.sluice', 'state.db'), { readonly: true });
    const recorded = new Set(
      (state.prepare('SELECT key FROM key_states').raw().all() as [string][]).map(([key]) => Number(key)),
    );
    state.close();
    const reached = [...new Set(receiver.messages().map((m) => Number(m.userId)))]
      .filter((id) => !recorded.has(id))
      .slice(0, 10);
    expect(reached).toHaveLength(10);
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      `update users set email = 'edited-' || email where id in (${reached.join(', ')})`,
    );

    const rerun = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
    expect(rerun.code).toBe(0);
    const perUser = new Map<number, { messageId: unknown; email: unknown }[]>();
    for (const m of receiver.messages()) {
      const list = perUser.get(Number(m.userId)) ?? [];
      list.push({ messageId: m.messageId, email: (m.traits as Record<string, unknown>).email });
      perUser.set(Number(m.userId), list);
    }
    expect(perUser.size).toBe(USERS);
    for (const [userId, messages] of perUser) {
      if (reached.includes(userId)) {
        expect(messages.map((m) => m.email)).toEqual([
          `user${userId}@example.com`,
          `edited-user${userId}@example.com`,
        ]);
        expect(new Set(messages.map((m) => m.messageId)).size).toBe(2);
      } else {
        expect(messages).toHaveLength(1);
      }
    }
    const third = await spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
    expect((JSON.parse(third.stdout) as SyncRunResult).counts).toMatchObject({
      planned: 0,
      unchanged: USERS,
    });
  });
});
