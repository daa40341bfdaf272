// A destination's rate_limit holds across runs in different processes (SPEC §5): the state store's
// rate buckets are the one budget every run of every worker draws from.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { spawnSluice } from './helpers/spawn-cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const LIMIT = 200;
const ROWS = 300;

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let database: TestDatabase;

function yaml(rateLimit: string, state = 'sqlite:.sluice/state.db'): string {
  return `state: ${state}
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}", rate_limit: ${rateLimit} }
models:
  users: { source: warehouse, sql: "select * from users" }
  accounts: { source: warehouse, sql: "select * from accounts" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
  accounts:
    model: accounts
    destination: segment
    object: user
    key: { column: account_id }
    mappings: { traits.name: name }
`;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-rate-limit-'));
  receiver = await startReceiver({ port: 0 });
  database = await createPostgresDatabase('sluice_rate_limit');
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, ${ROWS + 1}) t(i);
     create table accounts as select 100000 + i as account_id, 'Account ' || i as name from range(1, ${ROWS + 1}) t(i)`,
  );
});

afterAll(async () => {
  await receiver.close();
  await database.drop();
  await cleanup();
});

/** The most messages that arrived within any one second. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('rate_limit on a destination', () => {
  it.each(['sqlite', 'postgres'])(
    'holds across two sluice processes sending at once (%s state)',
    async (kind) => {
      receiver.reset();
      await writeYaml(
        dir,
        yaml(`${LIMIT}/s`, kind === 'sqlite' ? `sqlite:.sluice/${Date.now()}.db` : database.url),
      );
      const runs = await Promise.all(
        ['users', 'accounts'].map((name) => spawnSluice(['-w', dir, 'sync', 'run', name, '--json'])),
      );
      for (const run of runs) {
        expect(run.code).toBe(0);
        expect((JSON.parse(run.stdout) as SyncRunResult).counts.succeeded).toBe(ROWS);
      }
      const times = receiver.messages().map((m) => Date.parse(m.receivedAt as string));
      expect(times).toHaveLength(2 * ROWS);
      // A request carries at most a quarter second's budget (50 here); network jitter at the receiver
      // may add one request to a window (SPEC §5).
      expect(busiestSecond(times)).toBeLessThanOrEqual(LIMIT + LIMIT / 4);
      // 600 messages at 200/s, the first 50 at once: no less than 2.5 s from the first to the last.
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2500);
    },
    60_000,
  );

  it('is refused, with its line and a fix, unless it is messages a second', async () => {
    await writeYaml(dir, yaml('fast'));
    const check = await sluice('-w', dir, 'check');
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(
      /sluice\.yaml:5: destination "segment": rate_limit must be messages a second, like 1000\/s \(at least 2\/s\), not "fast"/,
    );
  });
});
