// Event cursors as a user sees them (SPEC §3 "Event cursors", §4 `extracted`): `cursor:` in
// sluice.yaml makes a run read only rows past the last run's mark minus the lookback, and `sluice
// check` refuses a cursor that cannot order rows at its line.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table clicks as
     select 'c' || i as id, 'u' || (i % 7) as user_id, 'x' as label,
            timestamptz '2026-06-01 00:00:00+00' + to_minutes(i) as occurred_at
     from range(1, 101) t(i)`,
  );
  await writeYaml(
    dir,
    workspaceYaml('cursor: { column: occurred_at, lookback: 30m }', '      timestamp: occurred_at\n'),
  );
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

/** The workspace: the clicks sync with this `cursor:` line, and `more` mapping lines. */
function workspaceYaml(cursor: string, more: string): string {
  return `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${receiver.url}" }
models:
  clicks: { source: warehouse, sql: "select * from clicks" }
syncs:
  clicks-to-segment:
    model: clicks
    destination: segment
    object: event
    key: { column: id }
    ${cursor}
    mappings:
      event: { constant: Clicked }
      userId: user_id
${more}`;
}

async function run(): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', 'clicks-to-segment', '--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.json<SyncRunResult>();
}

describe('an event sync with a cursor', () => {
  it('reads everything once, then only the window: extracted counts it, and only new rows are sent', async () => {
    const first = await run();
    expect(first.counts).toMatchObject({ extracted: 100, new: 100, succeeded: 100, removed: 0 });
    // The mark is the last row's instant (00:00 + 100 min); the window starts 30 minutes before it.
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      `insert into clicks
       select 'c' || i, 'u1', 'x', timestamptz '2026-06-01 00:00:00+00' + to_minutes(i) from range(101, 111) t(i)`,
    );
    const second = await run();
    // Rows at minutes 70–100 (31, read again and unchanged) and 101–110 (10 new).
    expect(second.counts).toMatchObject({ extracted: 41, unchanged: 31, new: 10, succeeded: 10, removed: 0 });
    expect(receiver.messages()).toHaveLength(110);
  });

  it('is refused by sluice check at its line when its column holds no timestamps', async () => {
    await writeYaml(dir, workspaceYaml('cursor: { column: label }', ''));
    const result = await sluice('-w', dir, 'check', '--json');
    expect(result.code).toBe(2);
    const sync = result
      .json<{ checks: { kind: string; problems: { line: number; message: string }[] }[] }>()
      .checks.find((c) => c.kind === 'sync')!;
    expect(sync.problems).toEqual([
      expect.objectContaining({
        line: 13,
        message:
          'sync "clicks-to-segment": the cursor: column "label" cannot order events: it is VARCHAR, not a TIMESTAMP, TIMESTAMPTZ or DATE',
      }),
    ]);
  });
});
