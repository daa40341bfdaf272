// Destination faults as a user meets them: an unreliable Segment (5xx, 429 + Retry-After, answers
// lost after processing), a destination that refuses everything, two runs of one sync at once, and a
// run stopped by a signal (issue "Nothing lost, nothing doubled", items 2–5).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
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

/** A workspace with `users` rows and one user sync aimed at `endpoint`. */
async function workspace(users: number, endpoint: string, extra = ''): Promise<string> {
  const { dir, cleanup } = await tempWorkspace();
  cleanups.push(cleanup);
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as id, 'u' || i || '@example.com' as email from range(1, ${users + 1}) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: fault-key, endpoint: "${endpoint}" }
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
${extra}`,
  );
  return dir;
}

async function run(
  dir: string,
  ...extra: string[]
): Promise<{ code: number; result: SyncRunResult; stderr: string }> {
  const out = await sluice('-w', dir, 'sync', 'run', 'users', '--json', ...extra);
  return { code: out.code, result: out.json<SyncRunResult>(), stderr: out.stderr };
}

function perUser(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of receiver.messages()) counts.set(String(m.userId), (counts.get(String(m.userId)) ?? 0) + 1);
  return counts;
}

describe('an unreliable destination', () => {
  it('delivers 20,000 users exactly once within three runs despite 5xx, 429s and lost answers', async () => {
    receiver.reset();
    receiver.setFaults({ failRate: 0.2, rateLimitRate: 0.1, retryAfterSeconds: 1, dropRate: 0.1, seed: 7 });
    try {
      const dir = await workspace(20_000, receiver.url);
      let runs = 0;
      let delivered = 0;
      while (runs < 3 && delivered < 20_000) {
        const { result } = await run(dir);
        runs++;
        expect(result.status).toBe('completed');
        delivered += result.counts.succeeded;
      }
      const counts = perUser();
      expect(counts.size).toBe(20_000);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const stats = receiver.stats();
      expect(stats.faults.failed + stats.faults.rateLimited + stats.faults.dropped).toBeGreaterThan(0);
      // Lost answers were resent: the copies carried the same messageId and were dropped as duplicates.
      if (stats.faults.dropped > 0) expect(stats.duplicates).toBeGreaterThan(0);
    } finally {
      receiver.setFaults({});
    }
  });
});

describe('the retry policy', () => {
  it('abandons a row after max_attempts failed runs, keeps its last error, and retries it on request', async () => {
    receiver.reset();
    // Every request answered 400: each row is isolated by splitting, then fails on its own.
    receiver.setFaults({ failRate: 1, failStatus: 400 });
    const dir = await workspace(3, receiver.url, '    retry: { max_attempts: 2 }\n');
    try {
      const first = await run(dir);
      expect(first.result.counts).toMatchObject({ planned: 3, failed: 3, succeeded: 0, abandoned: 0 });
      // Rows not delivered make the run exit 1, loudly, though it completed (SPEC §4).
      expect(first.result.status).toBe('completed');
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(
        /3 rows could not be delivered; they stay pending and the next run retries them/,
      );
      const second = await run(dir);
      expect(second.result.counts).toMatchObject({ planned: 3, failed: 0, abandoned: 3 });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/3 rows were abandoned by the sync's retry policy/);
      const abandoned = await sluice(
        '-w',
        dir,
        'records',
        second.result.run_id,
        '--status',
        'abandoned',
        '--json',
      );
      const records = abandoned.json<{ key: string; message: string; message_id: string }[]>();
      expect(records.map((r) => r.key).sort()).toEqual(['1', '2', '3']);
      expect(records[0]!.message).toMatch(/400/);

      const third = await run(dir);
      expect(third.result.counts).toMatchObject({ planned: 0, unchanged: 3 });
      expect(third.code).toBe(0);
    } finally {
      receiver.setFaults({});
    }
    const revived = await run(dir, '--retry-abandoned');
    expect(revived.result.counts).toMatchObject({ planned: 3, succeeded: 3 });
    const firstIds = (await sluice('-w', dir, 'runs', 'users', '--json'))
      .json<{ run_id: string }[]>()
      .at(-1)!.run_id;
    const earlier = (await sluice('-w', dir, 'records', firstIds, '--json')).json<
      { key: string; message_id: string }[]
    >();
    const sent = new Map(receiver.messages().map((m) => [String(m.userId), m.messageId]));
    for (const record of earlier) expect(sent.get(record.key)).toBe(record.message_id);
  });
});

describe('a destination that refuses the run', () => {
  it('ends the run failed with a clear error, without burning through every row', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(401).end('{"message":"unauthorized"}'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const dir = await workspace(5000, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const { code, result } = await run(dir);
      expect(code).toBe(1);
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('destination_fatal');
      expect(result.error?.message).toMatch(/401/);
      expect(requests).toBeLessThanOrEqual(4);
      expect(result.counts.succeeded).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('one run of a sync at a time', () => {
  it('refuses a second run while the first holds the lock, then runs once it is done', async () => {
    // The first run's one request is answered after 5 s: long enough for the second run to open the
    // workspace and reach the lock on a loaded machine (1.5 s was not, at times).
    const slow = await startReceiver({ port: 0, faults: { latencyMs: 5000 } });
    try {
      const dir = await workspace(50, slow.url);
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const first = spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json']);
      const poll = setInterval(() => {
        if (slow.stats().requests > 0) started();
      }, 20);
      await running;
      clearInterval(poll);
      const second = await sluice('-w', dir, 'sync', 'run', 'users');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already running.*pid \d+/);
      const done = await first;
      expect(done.code).toBe(0);
      expect((await sluice('-w', dir, 'sync', 'run', 'users')).code).toBe(0);
    } finally {
      await slow.close();
    }
  });
});

describe('a run stopped by SIGTERM', () => {
  it('finishes the batches in flight, records them, ends failed; the next run sends the rest once', async () => {
    const slow = await startReceiver({ port: 0, faults: { latencyMs: 400 } });
    try {
      const dir = await workspace(30_000, slow.url);
      const child = spawnSluice(['-w', dir, 'sync', 'run', 'users', '--json'], {
        onStarted: (pid) => {
          const poll = setInterval(() => {
            if (slow.stats().requests > 0) {
              clearInterval(poll);
              process.kill(pid, 'SIGTERM');
            }
          }, 10);
        },
      });
      const stopped = await child;
      expect(stopped.code).toBe(1);
      const result = JSON.parse(stopped.stdout) as SyncRunResult;
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('interrupted');
      expect(result.counts.succeeded).toBeGreaterThan(0);
      expect(result.counts.succeeded).toBe(slow.messages().length);

      const rerun = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
      expect(rerun.json<SyncRunResult>().status).toBe('completed');
      const counts = new Map<string, number>();
      for (const m of slow.messages()) counts.set(String(m.userId), (counts.get(String(m.userId)) ?? 0) + 1);
      expect(counts.size).toBe(30_000);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
