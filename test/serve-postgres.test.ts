// `sluice serve` on shared PostgreSQL state (SPEC §5, §6): two serve processes fire each schedule
// slot once between them; a state database that goes away makes /health 503 and comes back
// without a restart.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createPostgresDatabase,
  PG_ADMIN_URL,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { sluice as cli } from './helpers/cli.js';
import { type ServeProcess, startServe, until } from './helpers/serve-process.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let database: TestDatabase;
let token: string;
const processes: ServeProcess[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-serve-pg-'));
  database = await createPostgresDatabase('sluice_serve');
  receiver = await startReceiver({ port: 0 });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as user_id, 'u' || i || '@example.com' as email from range(1, 101) t(i)`,
  );
  await writeYaml(
    dir,
    `state: ${database.url}
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  ticking:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
    schedule: every 2s
  by-hand:
    model: users
    destination: segment
    object: user
    key: { column: user_id }
    mappings: { traits.email: email }
`,
  );
  const created = await cli('-w', dir, 'token', 'create', 'ops', '--role', 'operator', '--json');
  expect(created.code).toBe(0);
  token = created.json<{ token: string }>().token;
});

afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await receiver.close();
  await database.drop();
  await cleanup();
});

async function serve(): Promise<ServeProcess & { url: string }> {
  const started = await startServe(['-w', dir, 'serve', '--port', '0']);
  processes.push(started);
  return started;
}

describe('two sluice serve processes on one PostgreSQL state', () => {
  it('fire each schedule slot once between them', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    const fired = () =>
      [...a.events, ...b.events].filter((e) => e.event === 'schedule_fired' && e.sync === 'ticking');
    await until(() => (fired().length >= 4 ? true : undefined), 60_000, 'four slots fire');
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const slots = fired().map((e) => e.slot);
    expect(new Set(slots).size).toBe(slots.length);
    // Each fired slot queued its own run; none ran twice at once.
    const runIds = fired().map((e) => e.run_id);
    expect(new Set(runIds).size).toBe(runIds.length);
    const runs = (await cli('-w', dir, 'runs', 'ticking', '--limit', '100', '--json')).json<
      { run_id: string; status: string; started_at: string; finished_at: string | null }[]
    >();
    for (const id of runIds) expect(runs.map((r) => r.run_id)).toContain(id);
    const finished = runs
      .filter((r) => r.finished_at !== null)
      .sort((x, y) => x.started_at.localeCompare(y.started_at));
    for (let i = 1; i < finished.length; i++) {
      expect(finished[i]!.started_at >= finished[i - 1]!.finished_at!).toBe(true);
    }
  }, 120_000);
});

describe('a state database that goes away', () => {
  it('makes /health 503 and fails requests cleanly; once back, serve recovers without a restart', async () => {
    const server = await serve();
    const api = `${server.url}/api/v1`;
    expect((await fetch(`${api}/health`)).status).toBe(200);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const name = database.name;
    try {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      // Every connection to it but the test's own (which drops the database at the end).
      const [own] = (await database.query('SELECT pg_backend_pid() AS pid')) as { pid: number }[];
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2',
        [name, own!.pid],
      );
      const down = await until(
        async () => {
          const response = await fetch(`${api}/health`);
          return response.status === 503 ? response : undefined;
        },
        30_000,
        '/health answers 503',
      );
      expect(await down.json()).toMatchObject({ status: 'unavailable' });
      const refused = await fetch(`${api}/syncs/by-hand/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(await refused.json()).toMatchObject({ error: { code: expect.any(String) } });
    } finally {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await until(
      async () => ((await fetch(`${api}/health`)).status === 200 ? true : undefined),
      30_000,
      '/health answers 200 again',
    );
    const asked = await fetch(`${api}/syncs/by-hand/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(asked.status).toBe(202);
    const { run_id } = (await asked.json()) as { run_id: string };
    const run = await until(
      async () => {
        const got = (await (
          await fetch(`${api}/runs/${run_id}`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { status: string };
        return got.status === 'completed' || got.status === 'failed' ? got : undefined;
      },
      60_000,
      'the run after the outage ends',
    );
    expect(run).toMatchObject({ status: 'completed' });
  }, 120_000);
});
