// `sluice sync list` shows when each schedule runs next, from the state (SPEC §5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: ":memory:" }
destinations:
  segment: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: warehouse, sql: "select 1 as id" }
syncs:
  daily: { model: users, destination: segment, object: user, key: id, schedule: { cron: "0 6 * * *", timezone: Europe/Berlin } }
  often: { model: users, destination: segment, object: user, key: id, schedule: every 15m }
  chained: { model: users, destination: segment, object: user, key: id, schedule: { after: [daily, often] } }
  by-hand: { model: users, destination: segment, object: user, key: id }
`,
  );
});
afterAll(async () => cleanup?.());

describe('sluice sync list', () => {
  it('gives each schedule’s next run time in --json and in the table', async () => {
    const before = Date.now();
    const json = await sluice('-w', dir, 'sync', 'list', '--json');
    expect(json.code).toBe(0);
    const syncs = json.json<{ name: string; schedule: string | null; next_run_at: string | null }[]>();
    const next = Object.fromEntries(syncs.map((s) => [s.name, s.next_run_at]));
    // A cron never fired waits for its next time: 06:00 in Berlin, within a day from now (or, in
    // the minute after 06:00, that slot, still young enough to fire).
    const daily = Date.parse(next.daily!);
    expect(daily).toBeGreaterThan(before - 60_000);
    expect(daily - before).toBeLessThanOrEqual(86_400_000);
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeStyle: 'short' }).format(daily),
    ).toBe('06:00');
    // Never ran: due at once.
    expect(Date.parse(next.often!)).toBeLessThanOrEqual(Date.now());
    expect(next.chained).toBeNull();
    expect(next['by-hand']).toBeNull();

    const table = await sluice('-w', dir, 'sync', 'list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SYNC\s+MODEL\s+OBJECT\s+SCHEDULE\s+NEXT RUN\s+LAST RUN$/);
    expect(lines.find((line) => line.startsWith('daily'))).toContain(next.daily!);
    expect(lines.find((line) => line.startsWith('chained'))).toMatch(/after daily, often\s+-\s+never$/);
    expect(lines.find((line) => line.startsWith('by-hand'))).toMatch(/manual\s+-\s+never$/);
  });
});
