// The API inspector (SPEC §7) as a user meets it: a run against a receiver that fails half its
// requests keeps every failed exchange with its status and attempt and a sample of the successful
// ones, bodies cut with every messageId kept, no secret anywhere (not in `sluice inspect`, not in
// the state file's bytes); retention deletes the exchanges with the records.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeDocument, RecordDocument } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const WRITE_KEY = 'inspector-write-key-Zq81';
const BASIC = Buffer.from(`${WRITE_KEY}:`).toString('base64');
const USERS = 800;

let receiver: Receiver;
let dir: string;
let cleanup: () => Promise<void>;

function yaml(retention: string): string {
  return `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: ${WRITE_KEY}, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
${retention}syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.bio: bio
`;
}

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [WRITE_KEY] });
  ({ dir, cleanup } = await tempWorkspace('sluice-inspector-'));
  // ~20 KB a user: about two dozen users a request, so the run makes dozens of requests.
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as id, 'u' || i || '@example.com' as email, repeat('b', 20000) as bio
     from range(1, ${USERS + 1}) t(i)`,
  );
  await writeYaml(dir, yaml(''));
});

afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

async function inspect(runId: string): Promise<ExchangeDocument[]> {
  const out = await sluice('-w', dir, 'inspect', runId, '--limit', '100000', '--json');
  expect(out.code).toBe(0);
  return out.json<ExchangeDocument[]>();
}

describe('the API inspector', () => {
  let run: SyncRunResult;
  let exchanges: ExchangeDocument[];

  beforeAll(async () => {
    receiver.reset();
    // Half the requests fail: some with 500 (retried after a backoff), most with 429 and a
    // Retry-After of 1 s (so that the run does not spend minutes in backoffs).
    receiver.setFaults({ failRate: 0.15, rateLimitRate: 0.35, retryAfterSeconds: 1, seed: 11 });
    try {
      const out = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
      run = out.json<SyncRunResult>();
    } finally {
      receiver.setFaults({});
    }
    exchanges = await inspect(run.run_id);
  }, 240_000);

  it('keeps every failed exchange, with its status and attempt', () => {
    expect(run.status).toBe('completed');
    const failed = exchanges.filter((e) => e.status === null || e.status >= 400);
    const { faults } = receiver.stats();
    expect(faults.failed + faults.rateLimited).toBeGreaterThan(10);
    expect(failed.filter((e) => e.status === 500)).toHaveLength(faults.failed);
    expect(failed.filter((e) => e.status === 429)).toHaveLength(faults.rateLimited);
    expect(failed).toHaveLength(faults.failed + faults.rateLimited);
    for (const e of failed) {
      expect(e).toMatchObject({ method: 'POST', error: null });
      expect(e.url).toBe(`${receiver.url}/v1/batch`);
      expect(e.attempt).toBeGreaterThanOrEqual(1);
      expect(e.latency_ms).toBeGreaterThanOrEqual(0);
    }
    // Retries are there too, as later attempts of a batch: the same messageIds again.
    const retried = exchanges.filter((e) => e.attempt > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const e of retried) {
      expect(
        exchanges.some((o) => o.attempt === e.attempt - 1 && o.message_ids[0] === e.message_ids[0]),
      ).toBe(true);
    }
  });

  it('keeps the first 20 successful exchanges and one in 50 after', () => {
    const succeeded = exchanges.filter((e) => e.status === 200);
    const { requests: all, faults } = receiver.stats();
    const requests = all - faults.failed - faults.rateLimited;
    expect(requests).toBeGreaterThan(20);
    expect(succeeded).toHaveLength(20 + Math.floor((requests - 20) / 50));
  });

  it('cuts bodies to 4 KB but lists every messageId of the batch', async () => {
    const out = await sluice('-w', dir, 'records', run.run_id, '--limit', '100000', '--json');
    const ids = new Set(out.json<RecordDocument[]>().map((r) => r.message_id));
    expect(ids.size).toBe(USERS);
    for (const e of exchanges) {
      expect(e.truncated).toBe(true);
      expect(Buffer.byteLength(e.request_body)).toBeLessThanOrEqual(4096);
      expect(e.request_bytes).toBeGreaterThan(20_000);
      expect(e.message_ids.length).toBeGreaterThan(0);
      for (const id of e.message_ids) expect(ids.has(id)).toBe(true);
      // Each exchange's ids are its batch's: as many as the messages the request carried.
      expect(e.message_ids.length).toBe(new Set(e.message_ids).size);
    }
    // A full request carries about two dozen users, far past what 4 KB of body shows.
    expect(Math.max(...exchanges.map((e) => e.message_ids.length))).toBeGreaterThan(15);
  });

  it('never shows or stores the write key, plain or as Basic auth', async () => {
    const text = JSON.stringify(exchanges);
    expect(text).not.toContain(WRITE_KEY);
    expect(text).not.toContain(BASIC);
    for (const e of exchanges) expect(e.request_headers.authorization).toBe('[secret]');
    const human = await sluice('-w', dir, 'inspect', run.run_id);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^#1 \d{4}-.* POST .*\/v1\/batch → HTTP (200|500), attempt \d+, /m);
    expect(human.stdout).toContain('authorization: [secret]');
    expect(human.stdout).not.toContain(WRITE_KEY);
    expect(human.stdout).not.toContain(BASIC);
    const stateDir = join(dir, '.sluice');
    for (const file of await readdir(stateDir)) {
      const bytes = await readFile(join(stateDir, file));
      expect(bytes.includes(WRITE_KEY), file).toBe(false);
      expect(bytes.includes(BASIC), file).toBe(false);
    }
  });

  it('answers not_found for an unknown run', async () => {
    const out = await sluice('-w', dir, 'inspect', 'r_nosuchrun');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('no run "r_nosuchrun"');
  });

  it('is pruned with the records by retention, and counted', async () => {
    await writeYaml(dir, yaml('retention: { runs: 1s }\n'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pruned = await sluice('-w', dir, 'prune', '--json');
    expect(pruned.code).toBe(0);
    expect(pruned.json()).toMatchObject({ runs: 1, records: USERS, exchanges: exchanges.length });
    expect(await inspect(run.run_id)).toEqual([]);
    expect((await sluice('-w', dir, 'inspect', run.run_id)).stdout).toMatch(
      /has no exchanges any more: retention pruned them on \d{4}-/,
    );
  });
});
