// The proof that a destination is one folder and one registry line: a real `sluice sync run`, from a
// DuckDB model to a JSON-lines file (src/destinations/jsonl-file/), through the same CLI, state and
// diff as Segment, with nothing outside that folder and the registry knowing the jsonl-file type.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let out: string;

async function run(...extra: string[]): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', 'users-to-file', '--json', ...extra);
  expect(result.stderr).toBe('');
  return result.json<SyncRunResult>();
}

async function lines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(out, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-jsonl-sync-'));
  out = join(dir, 'out', 'messages.jsonl');
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as
     select i as user_id, 'user' || i || '@example.com' as email, case when i % 2 = 0 then 'pro' else 'free' end as plan
     from range(1, 6) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  file: { type: jsonl-file, path: "${dir}/out/messages.jsonl" }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  users-to-file:
    model: users
    destination: file
    object: user
    key: { column: user_id }
    mappings:
      data.email: email
      data.plan: plan
`,
  );
  await mkdir(join(dir, 'out'));
});

afterAll(async () => {
  await cleanup?.();
});

describe('sluice sync run to a jsonl-file destination', () => {
  it('checks the destination by its own description', async () => {
    const result = await sluice('-w', dir, 'check');
    expect(result.stdout).toContain(`jsonl-file, file ${dir}/out/messages.jsonl`);
  });

  it('writes one line per row on the first run, with the key as a string id', async () => {
    const summary = await run();
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ extracted: 5, planned: 5, succeeded: 5, failed: 0 });
    const written = await lines();
    expect(written.map((l) => l.id).sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(written.find((l) => l.id === '2')).toMatchObject({
      object: 'user',
      data: { email: 'user2@example.com', plan: 'pro' },
    });
    for (const line of written) expect(String(line.messageId)).toMatch(/^sl-/);
  });

  it('sends nothing when nothing changed', async () => {
    const summary = await run();
    expect(summary.counts).toMatchObject({ extracted: 5, unchanged: 5, planned: 0 });
    expect(await lines()).toHaveLength(5);
  });

  it('explains a change in a dry run by the destination comparing what it wrote, then sends only it', async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), `update users set plan = 'enterprise' where user_id = 3`);
    const dry = await run('--dry-run');
    expect(dry.counts).toMatchObject({ planned: 1, unchanged: 4 });
    expect(dry.samples?.map((s) => [s.key, s.changed_fields])).toEqual([['3', ['data.plan']]]);
    expect(await lines()).toHaveLength(5);

    const summary = await run();
    expect(summary.counts).toMatchObject({ planned: 1, succeeded: 1 });
    const written = await lines();
    expect(written).toHaveLength(6);
    expect(written[5]).toMatchObject({ object: 'user', id: '3', data: { plan: 'enterprise' } });
  });
});
