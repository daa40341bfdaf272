// Config problems a run finds when it starts (SPEC §4): a mapping naming a column the model lacks, a
// template variable that is not a column, a key column the model lacks. Exit 2, each problem on its
// own line naming the sync, the mapping and its line in sluice.yaml; with --json, in the summary's
// error too. And errors in the user's SQL point at the lines of their model file, not of Sluice's query.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  await duckdb(
    join(dir, 'w.duckdb'),
    "create table users as select 1 as id, 'a@example.com' as email, 'Ada' as first_name",
  );
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'broken.sql'), 'select id,\n  email\nfrom no_such_table\n');
  await writeFile(join(dir, 'models', 'empty.sql'), 'select * from users where false\n');
  await writeYaml(
    dir,
    `sources:
  w: { type: duckdb, path: w.duckdb }
destinations:
  seg: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: w, sql: "select * from users" }
  broken: { source: w, file: models/broken.sql }
  empty: { source: w, file: models/empty.sql }
syncs:
  columns:
    model: users
    destination: seg
    object: user
    key: { column: id }
    mappings:
      traits.email: emial
      traits.name: { template: "{{ first_name }} {{ last_name }}" }
  no-key:
    model: users
    destination: seg
    object: user
    key: { column: user_id }
  broken:
    model: broken
    destination: seg
    object: user
    key: { column: id }
  empty:
    model: empty
    destination: seg
    object: user
    key: { column: id }
    mappings:
      traits.plan: plan
`,
  );
});
afterAll(async () => cleanup?.());

describe('a run whose model lacks what the sync reads', () => {
  it('exits 2 with each problem on its own line: the sync, the mapping, its line', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'columns');
    expect(result.code).toBe(2);
    const lines = result.stdout.split('\n').map((line) => line.trim());
    expect(lines).toContain(
      'sluice.yaml:16: sync "columns": mapping "traits.email": column "emial" is not in the model — did you mean "email"?',
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          'sluice.yaml:17: sync "columns": mapping "traits.name": the template reads "last_name", which is not a column of the model',
        ),
      ),
    ).toBe(true);
  });

  it('names a key column the model lacks (which breaks the extract query) as a config problem', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'no-key');
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /^ *sluice\.yaml:22: sync "no-key": the sync key: column "user_id" is not in the model — the model's columns: id, email, first_name$/m,
    );
  });

  it('checks the columns of a model that returns no rows too', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'empty');
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /sluice\.yaml:34: sync "empty": mapping "traits\.plan": column "plan" is not in the model/,
    );
  });

  it('with --json, carries the problems in the summary error', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'columns', '--json');
    expect(result.code).toBe(2);
    const summary = result.json<{ status: string; error: { code: string; problems: object[] } }>();
    expect(summary.status).toBe('failed');
    expect(summary.error.code).toBe('config_invalid');
    expect(summary.error.problems).toEqual([
      {
        file: 'sluice.yaml',
        line: 16,
        message: 'sync "columns": mapping "traits.email": column "emial" is not in the model',
        fix: 'did you mean "email"?',
      },
      expect.objectContaining({ file: 'sluice.yaml', line: 17 }),
    ]);
  });

  it('exits 2 when one of several runs had config problems, after running the others', async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'columns', 'broken', '--json');
    expect(result.code).toBe(2);
    expect(result.json<unknown[]>()).toHaveLength(2);
  });
});

describe('an SQL error in a model file', () => {
  it("points at the model file's own line, not at Sluice's wrapper query", async () => {
    const result = await sluice('-w', dir, 'sync', 'run', 'broken');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'models/broken.sql:3: source "w" (duckdb) could not run the query: Catalog Error',
    );
    expect(result.stdout).toContain('LINE 3: from no_such_table');
    expect(result.stdout).not.toMatch(/LINE [45]:/);
  });
});
