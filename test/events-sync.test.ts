// Event (track) syncs as a user sees them: historic backfills arrive once each with exact timestamps,
// edits of delivered events are not resent, and backfill: false sends only rows that appear later.
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
const EVENTS = 10_000;

async function run(sync: string, ...extra: string[]): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', sync, '--json', ...extra);
  expect(result.stderr).toBe('');
  const summary = result.json<SyncRunResult>();
  const c = summary.counts;
  expect(c.extracted).toBe(c.invalid + c.unchanged + c.planned);
  if (summary.status === 'completed') expect(c.planned).toBe(c.succeeded + c.failed);
  return summary;
}

const tracks = (event?: string) =>
  receiver.messages().filter((m) => m.type === 'track' && (event === undefined || m.event === event));

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  warehouse = join(dir, 'warehouse.duckdb');
  await duckdb(
    warehouse,
    `create table orders as
     select 'ord_' || i as order_id,
            i % 997 as user_id,
            round(i * 1.25, 2)::decimal(12,2) as total,
            timestamptz '2021-05-04 10:00:00+00' + to_milliseconds(i * 3607) as ordered_at,
            json_object('sku', 'sku_' || (i % 13), 'coupon', case when i % 2 = 0 then 'SPRING' end) as props_json
     from range(1, ${EVENTS + 1}) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${receiver.url}" }
models:
  orders: { source: warehouse, sql: "select * from orders" }
syncs:
  orders-to-segment:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }
    mappings:
      event: { constant: Order Completed }
      userId: user_id
      timestamp: ordered_at
      properties: { column: props_json }
      properties.revenue: total
      context.source: { constant: warehouse }
  orders-later:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }
    backfill: false
    mappings:
      event: { constant: Order Seen }
      userId: user_id
`,
  );
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

describe('an event sync', () => {
  it('backfills 10,000 historic events once each, timestamps exact to the millisecond', async () => {
    const first = await run('orders-to-segment');
    expect(first.counts).toMatchObject({ extracted: EVENTS, new: EVENTS, succeeded: EVENTS, failed: 0 });
    expect(tracks()).toHaveLength(EVENTS);
    expect(receiver.stats().discarded).toBe(0);
    const byId = new Map(tracks().map((m) => [m.messageId, m]));
    expect(byId.size).toBe(EVENTS);
    const sample = tracks().find((m) => (m.properties as { revenue: number }).revenue === 12.5)!;
    expect(sample).toMatchObject({
      event: 'Order Completed',
      userId: '10',
      originalTimestamp: '2021-05-04T10:00:36.070Z',
      properties: { sku: 'sku_10', coupon: 'SPRING', revenue: 12.5 },
      context: { source: 'warehouse' },
    });
  });

  it('sends nothing on a rerun, and never resends an edited delivered event', async () => {
    expect((await run('orders-to-segment')).counts).toMatchObject({ planned: 0, unchanged: EVENTS });
    await duckdb(warehouse, `update orders set total = 0 where order_id in ('ord_1', 'ord_2')`);
    expect((await run('orders-to-segment')).counts).toMatchObject({ planned: 0, unchanged: EVENTS });
    expect(tracks()).toHaveLength(EVENTS);
  });

  it('sends the 100 new rows', async () => {
    await duckdb(
      warehouse,
      `insert into orders select 'ord_' || i, 1, 1.0, timestamptz '2022-01-01 00:00:00+00', json_object('sku', 'x')
       from range(${EVENTS + 1}, ${EVENTS + 101}) t(i)`,
    );
    expect((await run('orders-to-segment')).counts).toMatchObject({ new: 100, succeeded: 100 });
    expect(tracks('Order Completed')).toHaveLength(EVENTS + 100);
  });

  it('refuses --full-resync with a clear message', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'orders-to-segment', '--full-resync');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/full-resync.*refused/);
  });

  it('with backfill: false, sends nothing at first and exactly the rows added later', async () => {
    const first = await run('orders-later');
    expect(first.counts).toMatchObject({ extracted: EVENTS + 100, planned: 0, succeeded: 0 });
    expect(tracks('Order Seen')).toHaveLength(0);
    await duckdb(
      warehouse,
      `insert into orders select 'ord_' || i, 2, 1.0, timestamptz '2022-01-01 00:00:00+00', json_object('sku', 'y')
       from range(${EVENTS + 101}, ${EVENTS + 108}) t(i)`,
    );
    const later = await run('orders-later');
    expect(later.counts).toMatchObject({ new: 7, succeeded: 7 });
    expect(tracks('Order Seen').map((m) => m.userId)).toEqual(Array(7).fill('2'));
  });

  it('never shares a messageId between two event syncs over the same keys', async () => {
    const completed = new Set(tracks('Order Completed').map((m) => m.messageId));
    for (const m of tracks('Order Seen')) expect(completed.has(m.messageId)).toBe(false);
  });
});
