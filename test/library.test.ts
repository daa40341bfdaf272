// Sluice as a library: what a Node program (a Dagster or Airflow task, an app) gets from
// `import { openWorkspace } from 'sluice'` — the same engine, state and documents as the CLI.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError, openWorkspace, type Sluice } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

function workspaceYaml(endpoint: string): string {
  return `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: lib-test-key, endpoint: "${endpoint}" }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings:
      traits.email: email
      traits.plan: plan
    schedule: { every: 15m }
`;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-library-'));
  receiver = await startReceiver({ port: 0 });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as
     select i as user_id, 'user' || i || '@example.com' as email, case when i % 2 = 0 then 'pro' else 'free' end as plan
     from range(1, 6) t(i);
     insert into users values (6, null, 'free')`,
  );
  await writeYaml(dir, workspaceYaml(receiver.url));
});

afterAll(async () => {
  await receiver.close();
  await cleanup();
});

async function withWorkspace<T>(fn: (sluice: Sluice) => Promise<T>): Promise<T> {
  const sluice = await openWorkspace(dir);
  try {
    return await fn(sluice);
  } finally {
    await sluice.close();
  }
}

describe('openWorkspace', () => {
  it('runs a sync and lists it, its runs and records, as the CLI prints them', async () => {
    await withWorkspace(async (sluice) => {
      expect((await sluice.check()).ok).toBe(true);
      expect(await sluice.syncs()).toEqual([
        {
          name: 'users',
          model: 'users',
          destination: 'segment',
          object: 'user',
          schedule: 'every 15m',
          // Never ran: due at once, at the second it was asked.
          next_run_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
          last_run: null,
        },
      ]);
      const progress: number[] = [];
      const run = await sluice.run('users', { onProgress: (counts) => progress.push(counts.extracted) });
      expect(run).toMatchObject({ sync: 'users', status: 'completed', dry_run: false, error: null });
      expect(run.counts).toMatchObject({ extracted: 6, new: 6, succeeded: 6, failed: 0 });
      expect(progress.at(-1)).toBe(6);
      expect(receiver.messages().filter((m) => m.type === 'identify')).toHaveLength(6);

      const [overview] = await sluice.syncs();
      expect(overview?.last_run).toMatchObject({
        run_id: run.run_id,
        status: 'completed',
        counts: run.counts,
      });
      // Completed just now: next on the grid of that run's start.
      expect(overview?.next_run_at).toBe(new Date(Date.parse(run.started_at) + 15 * 60_000).toISOString());
      expect(await sluice.getRun(run.run_id)).toMatchObject({ run_id: run.run_id, full_resync: false });
      expect(await sluice.getRun('r_no_such_run')).toBeNull();

      const records = await sluice.records(run.run_id);
      expect(records.next_cursor).toBeNull();
      expect(records.items.map((r) => r.key)).toEqual(['1', '2', '3', '4', '5', '6']);
      expect(records.items[0]).toMatchObject({
        run_id: run.run_id,
        status: 'succeeded',
        reason: 'new',
        payload: { type: 'identify', userId: '1', traits: { email: 'user1@example.com', plan: 'free' } },
      });
      expect(records.items[0]?.message_id).toMatch(/^sl-/);
    });
  });

  it('pages runs and records with cursors: every item once, in order', async () => {
    await withWorkspace(async (sluice) => {
      for (let i = 0; i < 3; i++) await sluice.run('users', { fullResync: true });
      const runIds: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await sluice.runs({ sync: 'users', limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        runIds.push(...page.items.map((r) => r.run_id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      expect(runIds).toHaveLength(4);
      expect(runIds).toEqual([...runIds].sort().reverse());
      expect((await sluice.runs({ status: 'failed' })).items).toEqual([]);

      const keys: (string | null)[] = [];
      cursor = undefined;
      do {
        const page = await sluice.records(runIds[0]!, { limit: 4, ...(cursor ? { cursor } : {}) });
        keys.push(...page.items.map((r) => r.key));
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      expect(keys).toEqual(['1', '2', '3', '4', '5', '6']);
    });
  });

  it("answers a key's state and history, newest first", async () => {
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      "update users set email = 'new1@example.com' where user_id = 1",
    );
    await withWorkspace(async (sluice) => {
      const run = await sluice.run('users');
      expect(run.counts).toMatchObject({ changed: 1, unchanged: 5, succeeded: 1 });
      const key = await sluice.keyHistory('users', '1');
      expect(key.state).toMatchObject({
        delivered_message_id: key.history.items[0]?.message_id,
        pending: null,
      });
      expect(key.history.items).toHaveLength(5);
      expect(key.history.items[0]).toMatchObject({
        run_id: run.run_id,
        reason: 'changed',
        payload: { traits: { email: 'new1@example.com' } },
      });
      expect(key.history.items.at(-1)).toMatchObject({
        reason: 'new',
        payload: { traits: { email: 'user1@example.com' } },
      });
      const page = await sluice.keyHistory('users', '1', { limit: 2 });
      expect(page.history.items).toEqual(key.history.items.slice(0, 2));
      const rest = await sluice.keyHistory('users', '1', { limit: 10, cursor: page.history.next_cursor! });
      expect([...page.history.items, ...rest.history.items]).toEqual(key.history.items);
      expect(await sluice.keyHistory('users', 'no-such-key')).toMatchObject({
        state: null,
        history: { items: [], next_cursor: null },
      });
    });
  });

  it('dry-runs, previews a model, and explains what it refuses', async () => {
    await withWorkspace(async (sluice) => {
      const dry = await sluice.run('users', { dryRun: true });
      expect(dry).toMatchObject({
        dry_run: true,
        status: 'completed',
        not_shown: { planned: 0, invalid: 0 },
      });
      const preview = await sluice.previewModel('users', { limit: 2 });
      expect(preview.rows).toHaveLength(2);
      expect(preview.columns.map((c) => c.name)).toEqual(['user_id', 'email', 'plan']);

      await expect(sluice.run('nope')).rejects.toMatchObject({
        code: 'not_found',
        message: /the workspace has: users/,
      });
      await expect(sluice.records('r_no_such_run')).rejects.toMatchObject({ code: 'not_found' });
      await expect(sluice.runs({ limit: 0 })).rejects.toMatchObject({ code: 'usage' });
      await expect(sluice.runs({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'usage' });
      await expect(sluice.keyHistory('nope', '1')).rejects.toMatchObject({ code: 'not_found' });
      await expect(sluice.prune()).rejects.toMatchObject({ code: 'usage', message: /sets no retention/ });
      expect(await sluice.prune({ ifDue: true })).toBeNull();
    });
  });

  it('takes a workspace given in code, as YAML text or as an object, and closes with await using', async () => {
    const config = {
      sources: { warehouse: { type: 'duckdb', path: 'warehouse.duckdb' } },
      destinations: { segment: { type: 'segment', write_key: 'k', endpoint: receiver.url } },
      models: { users: { source: 'warehouse', sql: 'select * from users' } },
      syncs: {
        users: {
          model: 'users',
          destination: 'segment',
          object: 'user',
          key: { column: 'user_id' },
          mappings: { 'traits.email': 'email' },
        },
      },
    };
    {
      await using sluice = await openWorkspace({ dir, config });
      expect((await sluice.syncs()).map((s) => s.name)).toEqual(['users']);
      // The same state as the folder's workspace: its runs are there.
      expect((await sluice.runs()).items.length).toBeGreaterThan(0);
    }
    {
      await using sluice = await openWorkspace({ dir, config: workspaceYaml(receiver.url) });
      expect(sluice.sync('users').object).toBe('user');
    }
    const broken = { ...config, syncs: { users: { ...config.syncs.users, object: 'person' } } };
    const refusal = await openWorkspace({ dir, config: broken }).catch((error: unknown) => error);
    expect(isSluiceError(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: 'config_invalid' });
    expect((refusal as { problems: { file: string; line: number }[] }).problems[0]).toMatchObject({
      file: 'sluice.yaml',
      line: expect.any(Number),
    });
  });
});
