// The spine, as a user sees it: a DuckDB model of 5,000 users synced to the local receiver through
// the CLI, incrementally (issue "The spine", Done when).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let warehouse: string;

const USERS = 5000;

function expectInvariants(result: SyncRunResult): void {
  const c = result.counts;
  expect(c.extracted).toBe(c.invalid + c.unchanged + c.planned);
  expect(c.planned).toBe(c.new + c.changed);
  if (!result.dry_run && result.status === 'completed') expect(c.planned).toBe(c.succeeded + c.failed);
}

async function run(...extra: string[]): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json', ...extra);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const summary = result.json<SyncRunResult>();
  expectInvariants(summary);
  return summary;
}

function identifiesFor(userId: string) {
  return receiver.messages().filter((m) => m.type === 'identify' && m.userId === userId);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  warehouse = join(dir, 'warehouse.duckdb');
  await duckdb(
    warehouse,
    `create table users as
     select i as id,
            'user' || i || '@example.com' as email,
            'First' || i as first_name,
            'Last' || i as last_name,
            20 + i % 50 as age,
            round(i / 7.0, 2)::decimal(10,2) as score,
            timestamptz '2024-03-01 12:00:00+00' + to_milliseconds(i * 1001) as created_at,
            (['free', 'pro'])[1 + i % 2] as plan
     from range(1, ${USERS + 1}) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  users-to-segment:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.name: { template: "{{ first_name }} {{ last_name }}" }
      traits.age: age
      traits.score: score
      traits.createdAt: created_at
      traits.plan: { column: plan }
      context.source: { constant: warehouse }
`,
  );
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

describe('a user sync from DuckDB to Segment', () => {
  it('delivers every user once on the first run, with the right types', async () => {
    const first = await run();
    expect(first.status).toBe('completed');
    expect(first.counts).toMatchObject({
      extracted: USERS,
      new: USERS,
      planned: USERS,
      succeeded: USERS,
      failed: 0,
    });
    expect(receiver.messages()).toHaveLength(USERS);
    expect(receiver.stats().discarded).toBe(0);

    const [message] = identifiesFor('42');
    expect(message).toMatchObject({
      type: 'identify',
      userId: '42',
      traits: {
        email: 'user42@example.com',
        name: 'First42 Last42',
        age: 62,
        score: 6,
        createdAt: '2024-03-01T12:00:42.042Z',
        plan: 'free',
      },
      context: { source: 'warehouse', library: { name: 'sluice' } },
    });
    expect(String(message!.messageId)).toMatch(/^sl-/);
    expect(String(message!.messageId).length).toBeLessThanOrEqual(100);
  });

  it('sends nothing when nothing changed', async () => {
    const again = await run();
    expect(again.counts).toMatchObject({ extracted: USERS, unchanged: USERS, planned: 0, succeeded: 0 });
    expect(receiver.messages()).toHaveLength(USERS);
  });

  it('sends exactly the 50 rows that changed, with new values and new messageIds', async () => {
    const before = new Map(receiver.messages().map((m) => [m.userId, m.messageId]));
    await duckdb(warehouse, `update users set plan = 'enterprise' where id between 101 and 150`);
    const result = await run();
    expect(result.counts).toMatchObject({
      planned: 50,
      changed: 50,
      new: 0,
      succeeded: 50,
      unchanged: USERS - 50,
    });
    const sent = receiver.messages().slice(USERS);
    expect(sent).toHaveLength(50);
    for (const message of sent) {
      expect(Number(message.userId)).toBeGreaterThanOrEqual(101);
      expect(Number(message.userId)).toBeLessThanOrEqual(150);
      expect((message.traits as Record<string, unknown>).plan).toBe('enterprise');
      expect(message.messageId).not.toBe(before.get(message.userId as string));
    }
  });

  it('delivers A → B → A as two changes with distinct messageIds', async () => {
    await duckdb(warehouse, `update users set email = 'b@example.com' where id = 7`);
    expect((await run()).counts.succeeded).toBe(1);
    await duckdb(warehouse, `update users set email = 'user7@example.com' where id = 7`);
    expect((await run()).counts.succeeded).toBe(1);
    const seven = identifiesFor('7');
    expect(seven.map((m) => (m.traits as Record<string, unknown>).email)).toEqual([
      'user7@example.com',
      'b@example.com',
      'user7@example.com',
    ]);
    expect(new Set(seven.map((m) => m.messageId)).size).toBe(3);
  });

  it('explains pending changes in a dry run without sending or remembering anything', async () => {
    await duckdb(warehouse, `update users set age = age + 1 where id between 1001 and 1010`);
    const received = receiver.messages().length;
    const runsBefore = (await sluice('-w', dir, 'runs', '--json')).json<unknown[]>().length;

    const dry = await run('--dry-run');
    expect(dry.dry_run).toBe(true);
    expect(dry.counts).toMatchObject({ planned: 10, changed: 10, succeeded: 0 });
    expect(dry.samples).toHaveLength(10);
    for (const sample of dry.samples!) {
      expect(sample.reason).toBe('changed');
      expect(sample.changed_fields).toEqual(['traits.age']);
      expect(sample.message).toMatchObject({ type: 'identify', userId: sample.key });
    }
    expect(receiver.messages()).toHaveLength(received);
    expect((await sluice('-w', dir, 'runs', '--json')).json<unknown[]>()).toHaveLength(runsBefore);

    // Nothing was remembered: the real run still sends the same ten, with the ids the dry run showed.
    const real = await run();
    expect(real.counts.succeeded).toBe(10);
    const sentIds = receiver
      .messages()
      .slice(received)
      .map((m) => m.messageId);
    expect(new Set(sentIds)).toEqual(
      new Set(dry.samples!.map((s) => (s.message as { messageId: string }).messageId)),
    );
  });

  it('keeps run history and per-row records', async () => {
    const runs = (await sluice('-w', dir, 'runs', 'users-to-segment', '--json')).json<
      { run_id: string; status: string; counts: { succeeded: number } }[]
    >();
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    const withTen = runs[0]!;
    expect(withTen.counts.succeeded).toBe(10);
    const records = (await sluice('-w', dir, 'records', withTen.run_id, '--json')).json<
      { key: string; status: string; reason: string; message_id: string; payload: { type: string } }[]
    >();
    expect(records).toHaveLength(10);
    for (const record of records) {
      expect(record).toMatchObject({ status: 'succeeded', reason: 'changed', payload: { type: 'identify' } });
      expect(record.message_id).toMatch(/^sl-/);
    }
    const human = await sluice('-w', dir, 'runs');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('users-to-segment');
  });
});
