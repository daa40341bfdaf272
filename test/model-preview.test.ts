// `sluice model preview NAME [--limit 20] [--json]` (SPEC §4): a model's first rows as Sluice reads
// them, each column with the JSON type it is sent as and the engine's type; only `limit` rows read.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

interface Preview {
  columns: { name: string; type: string; source_type?: string }[];
  rows: Record<string, unknown>[];
}

let pgDb: TestDatabase;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  pgDb = await createPostgresDatabase('sluice_preview_pg');
  ({ dir, cleanup } = await tempWorkspace());
  await duckdb(
    join(dir, 'w.duckdb'),
    `create table users as select * from (values
       (1, 'ada@example.com', 9007199254740993::bigint, {'plan': 'pro'}, timestamp '2024-01-02 03:04:05'),
       (2, 'bob@example.com', 7::bigint, null, null)
     ) t(id, email, big, traits, seen_at)`,
  );
  await writeYaml(
    dir,
    `sources:
  w: { type: duckdb, path: w.duckdb }
  pg: { type: postgres, url: "${pgDb.url}" }
destinations:
  seg: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: w, sql: "select * from users order by id" }
  # Every row past the 100th fails when it is computed: a preview must stop reading long before.
  million: { source: pg, sql: "select i as id, case when i > 100 then 1 / (i - i) else i end as v, '{\\"a\\": 1}'::jsonb as j from generate_series(1, 1000000) i" }
syncs: {}
`,
  );
});
afterAll(async () => {
  await cleanup?.();
  await pgDb?.drop();
});

describe('sluice model preview', () => {
  it('prints the rows as Sluice reads them, with the JSON type sent and the engine type', async () => {
    const result = await sluice('-w', dir, 'model', 'preview', 'users', '--json');
    expect(result.code).toBe(0);
    expect(result.json<Preview>()).toEqual({
      columns: [
        { name: 'id', type: 'number', source_type: 'INTEGER' },
        { name: 'email', type: 'string', source_type: 'VARCHAR' },
        // Beyond 2^53 an integer is sent as its exact decimal text: the column holds both.
        { name: 'big', type: 'number|string', source_type: 'BIGINT' },
        { name: 'traits', type: 'object', source_type: 'STRUCT("plan" VARCHAR)' },
        { name: 'seen_at', type: 'string', source_type: 'TIMESTAMP' },
      ],
      rows: [
        {
          id: 1,
          email: 'ada@example.com',
          big: '9007199254740993',
          traits: { plan: 'pro' },
          seen_at: '2024-01-02T03:04:05.000Z',
        },
        { id: 2, email: 'bob@example.com', big: 7, traits: null, seen_at: null },
      ],
    });
  });

  it('shows a table for people', async () => {
    const result = await sluice('-w', dir, 'model', 'preview', 'users', '--limit', '1');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^id +email +big +traits +seen_at$/);
    // The JSON type is that of the rows read: here one, whose BIGINT is past 2^53.
    expect(lines[1]).toMatch(/^number \(INTEGER\) +string \(VARCHAR\) +string \(BIGINT\) +object \(STRUCT/);
    expect(lines[2]).toMatch(
      /^1 +ada@example\.com +9007199254740993 +\{"plan":"pro"\} +2024-01-02T03:04:05\.000Z$/,
    );
    expect(lines[3]).toMatch(/^1 row of model "users"/);
  });

  it('reads only --limit rows of a large model (PostgreSQL)', async () => {
    const result = await sluice('-w', dir, 'model', 'preview', 'million', '--limit', '20', '--json');
    expect(result.code).toBe(0);
    const preview = result.json<Preview>();
    expect(preview.rows).toHaveLength(20);
    expect(preview.rows[19]).toEqual({ id: 20, v: 20, j: { a: 1 } });
    expect(preview.columns).toEqual([
      { name: 'id', type: 'number', source_type: 'int4' },
      { name: 'v', type: 'number', source_type: 'int4' },
      { name: 'j', type: 'object', source_type: 'jsonb' },
    ]);
    // The same model read further fails: the 101st row divides by zero.
    const further = await sluice('-w', dir, 'model', 'preview', 'million', '--limit', '200', '--json');
    expect(further.code).toBe(1);
    expect(further.json<{ error: { message: string } }>().error.message).toContain('division by zero');
  });

  it('names the models there are when the name is unknown', async () => {
    const result = await sluice('-w', dir, 'model', 'preview', 'userz', '--json');
    expect(result.code).toBe(2);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'not_found',
      message: 'no model named "userz" — the workspace has: users, million',
    });
  });
});
