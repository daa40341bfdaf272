// Group syncs both ways (a row per group, a row per membership), and rows Segment would silently drop:
// each is reported with its reason code and never sent, while every good row is delivered.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

async function run(sync: string): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', sync, '--json');
  expect(result.stderr).toBe('');
  return result.json<SyncRunResult>();
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table accounts as
       select i as id, 'Account ' || i as name, i * 10 as employees, 'admin-' || i as admin_id from range(1, 201) t(i);
     create table memberships as
       select i as user_id, 1 + i % 200 as account_id, (['owner', 'member'])[1 + i % 2] as role from range(1, 501) t(i);
     create table messy as
       select * from (values
         (1, 'ok-1', 'Signed Up', '2024-01-01T00:00:00Z', 'plain'),
         (2, 'ok-2', 'Signed Up', '2024-01-01T00:00:01Z', 'ünïcødé ✓ 🎉 "quoted"'),
         (null, 'u-null-key', 'Signed Up', '2024-01-01T00:00:02Z', 'x'),
         (3, 'dup-a', 'Signed Up', '2024-01-01T00:00:03Z', 'x'),
         (3, 'dup-b', 'Signed Up', '2024-01-01T00:00:03Z', 'x'),
         (4, 'big', 'Signed Up', '2024-01-01T00:00:04Z', repeat('x', 40000)),
         (5, 'empty-event', '', '2024-01-01T00:00:05Z', 'x'),
         (6, null, 'Signed Up', '2024-01-01T00:00:06Z', 'x'),
         (7, 'bad-time', 'Signed Up', 'not a time', 'x'),
         (8, 'ok-8', 'Signed Up', '2024-01-01T00:00:08Z', 'x')
       ) t(id, user_id, event, happened_at, note);`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${receiver.url}" }
models:
  accounts: { source: warehouse, sql: "select * from accounts" }
  memberships: { source: warehouse, sql: "select * from memberships" }
  messy: { source: warehouse, sql: "select * from messy" }
syncs:
  groups:
    model: accounts
    destination: segment
    object: group
    key: { column: id, field: groupId }
    mappings:
      userId: admin_id
      traits.name: name
      traits.employees: employees
  members:
    model: memberships
    destination: segment
    object: group
    key: { column: user_id, field: userId }
    mappings:
      groupId: account_id
      traits.role: role
  messy-events:
    model: messy
    destination: segment
    object: event
    key: { column: id }
    mappings:
      userId: user_id
      event: event
      timestamp: happened_at
      properties.note: note
`,
  );
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

describe('group syncs', () => {
  it('delivers 200 groups keyed by groupId', async () => {
    const result = await run('groups');
    expect(result.counts).toMatchObject({ extracted: 200, succeeded: 200, invalid: 0 });
    const groups = receiver.messages().filter((m) => m.type === 'group' && m.userId === 'admin-17');
    expect(groups).toEqual([
      expect.objectContaining({ groupId: '17', traits: { name: 'Account 17', employees: 170 } }),
    ]);
  });

  it('delivers 500 memberships keyed by userId', async () => {
    const result = await run('members');
    expect(result.counts).toMatchObject({ extracted: 500, succeeded: 500, invalid: 0 });
    const member = receiver.messages().filter((m) => m.type === 'group' && m.userId === '42');
    expect(member).toEqual([expect.objectContaining({ groupId: '43', traits: { role: 'owner' } })]);
  });
});

describe('rows Segment would drop', () => {
  it('reports each bad row with its reason, delivers every good row, and the receiver discards nothing', async () => {
    const discardedBefore = receiver.stats().discarded;
    const result = await run('messy-events');
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ extracted: 10, invalid: 7, planned: 3, succeeded: 3 });
    expect(receiver.stats().discarded).toBe(discardedBefore);
    const good = receiver.messages().filter((m) => m.type === 'track');
    expect(good.map((m) => m.userId).sort()).toEqual(['ok-1', 'ok-2', 'ok-8']);
    expect(good.find((m) => m.userId === 'ok-2')!.properties).toEqual({ note: 'ünïcødé ✓ 🎉 "quoted"' });

    const invalid = await sluice('-w', dir, 'records', result.run_id, '--status', 'invalid', '--json');
    const records = invalid.json<{ key: string | null; reason: string; message: string }[]>();
    const reasons = records.map((r) => `${r.key}:${r.reason}`).sort();
    expect(reasons).toEqual([
      '3:duplicate_key',
      '3:duplicate_key',
      '4:message_too_large',
      '5:missing_event',
      '6:missing_identity',
      '7:invalid_timestamp',
      'null:null_key',
    ]);
    for (const record of records) expect(record.message.length).toBeGreaterThan(10);
  });
});
