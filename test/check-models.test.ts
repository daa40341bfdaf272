// `sluice check` runs every model returning no rows, on every engine, and reports (SPEC §4): SQL
// errors in the user's own SQL at the lines of *their* model file (not of Sluice's wrapper query),
// columns a sync reads that its model lacks (naming the sync, the mapping and its line), exit 2 for
// those and 1 when only a connection failed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

interface CheckItem {
  kind: string;
  name: string;
  ok: boolean;
  skipped?: boolean;
  notes: string[];
  problems: { file: string; line: number; message: string; fix?: string }[];
  columns?: { name: string; type?: string }[];
}

let pgDb: TestDatabase;
let myDb: TestDatabase;
const folders: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pgDb = await createPostgresDatabase('sluice_check_pg');
  myDb = await createMysqlDatabase('sluice_check_my');
  for (const db of [pgDb, myDb]) {
    await db.query('create table users (id integer primary key, email varchar(100))');
    await db.query("insert into users values (1, 'a@example.com'), (2, 'b@example.com')");
  }
});
afterAll(async () => {
  await pgDb?.drop();
  await myDb?.drop();
  for (const cleanup of folders) await cleanup();
});

/** A workspace on one engine: a good model, a model file broken on its line 3, and two syncs. */
async function workspace(source: string, broken: string, setup: (dir: string) => Promise<void>) {
  const { dir, cleanup } = await tempWorkspace();
  folders.push(cleanup);
  await setup(dir);
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'broken.sql'), broken);
  await writeYaml(
    dir,
    `sources:
  wh: ${source}
destinations:
  seg: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: wh, sql: "select * from users" }
  broken: { source: wh, file: models/broken.sql }
syncs:
  users-to-segment:
    model: users
    destination: seg
    object: user
    key: { column: id }
    mappings:
      traits.email: emial
      traits.greeting: { template: "Hi {{ first_name }}" }
  broken-to-segment:
    model: broken
    destination: seg
    object: user
    key: { column: id }
`,
  );
  return dir;
}

const engines: [string, () => Promise<string>, number][] = [
  [
    'duckdb',
    () =>
      workspace('{ type: duckdb, path: w.duckdb }', 'select id,\n  email\nfrom no_such_table\n', (dir) =>
        duckdb(
          join(dir, 'w.duckdb'),
          "create table users as select * from (values (1, 'a@example.com')) t(id, email)",
        ),
      ),
    3,
  ],
  [
    'postgres',
    () =>
      workspace(
        `{ type: postgres, url: "${pgDb.url}" }`,
        'select id,\n  email\nfrom no_such_table\n',
        async () => {},
      ),
    3,
  ],
  [
    'mysql',
    () =>
      workspace(`{ type: mysql, url: "${myDb.url}" }`, 'select id,\n  email\n  frm users;\n', async () => {}),
    3,
  ],
  [
    'sqlite',
    () =>
      workspace(
        '{ type: sqlite, path: app.sqlite }',
        'select id,\n  email\nfrom no_such_table\n',
        async (dir) => {
          const db = new Database(join(dir, 'app.sqlite'));
          db.exec(
            "create table users (id integer primary key, email text); insert into users values (1, 'a@x')",
          );
          db.close();
        },
      ),
    // SQLite says which table is missing, but no position: the model file is named without a line.
    0,
  ],
];

describe.each(engines)('sluice check on %s', (_engine, make, brokenLine) => {
  let dir: string;
  beforeAll(async () => {
    dir = await make();
  });

  it('reports the SQL error at the line of the model file and column problems with their lines; exit 2', async () => {
    const result = await sluice('-w', dir, 'check', '--json');
    expect(result.code).toBe(2);
    const checks = result.json<{ ok: boolean; checks: CheckItem[] }>().checks;
    const model = (name: string) => checks.find((c) => c.kind === 'model' && c.name === name)!;
    expect(model('users').ok).toBe(true);
    expect(model('users').notes[0]).toMatch(/^columns: id\b.*, email\b/);
    expect(model('users').columns?.map((c) => c.name)).toEqual(['id', 'email']);

    const broken = model('broken');
    expect(broken.ok).toBe(false);
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]).toMatchObject({ file: 'models/broken.sql', line: brokenLine });
    expect(broken.problems[0]!.message).toMatch(
      /^model "broken": source "wh" \(\w+\) could not run the query: /,
    );
    // Lines of Sluice's wrapper never show: DuckDB's excerpt counts the model's lines.
    expect(broken.problems[0]!.message).not.toMatch(/LINE [^3]|at line [^3]|sluice_probe/);

    const sync = checks.find((c) => c.kind === 'sync' && c.name === 'users-to-segment')!;
    expect(sync.ok).toBe(false);
    expect(sync.problems).toEqual([
      {
        file: 'sluice.yaml',
        line: 15,
        message: 'sync "users-to-segment": mapping "traits.email": column "emial" is not in the model',
        fix: 'did you mean "email"?',
      },
      {
        file: 'sluice.yaml',
        line: 16,
        message:
          'sync "users-to-segment": mapping "traits.greeting": the template reads "first_name", which is not a column of the model',
        fix: "the model's columns: id, email",
      },
    ]);
    const other = checks.find((c) => c.kind === 'sync' && c.name === 'broken-to-segment')!;
    expect(other.skipped).toBe(true);
  });

  it('prints each problem on its own line for people', async () => {
    const result = await sluice('-w', dir, 'check');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      '    sluice.yaml:15: sync "users-to-segment": mapping "traits.email": column "emial" is not in the model — did you mean "email"?\n',
    );
    expect(result.stdout).toContain(
      `    models/broken.sql${brokenLine > 0 ? `:${brokenLine}` : ''}: model "broken": `,
    );
  });
});

describe.each(engines)('sluice sync run on %s', (_engine, make, brokenLine) => {
  it("places an SQL error on the model file's line too, not on the extract query's", async () => {
    const dir = await make();
    const result = await sluice('-w', dir, 'sync', 'run', 'broken-to-segment', '--json');
    expect(result.code).toBe(1);
    const { error } = result.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('source_error');
    const where = brokenLine > 0 ? `models/broken.sql:${brokenLine}: ` : '';
    expect(error.message).toMatch(
      new RegExp(`^model "broken": ${where}source "wh" \\(\\w+\\) could not run the query: `),
    );
    expect(error.message).not.toMatch(/LINE [^3]|at line [^3]|__sluice|partition by/);
  });
});

describe('sluice check reads no rows', () => {
  it('runs a model that would fail on its first row without failing (DuckDB, PostgreSQL)', async () => {
    const boom: [string, string][] = [
      ['{ type: duckdb, path: w.duckdb }', "select id, error('a row was read') as boom from users"],
      [`{ type: postgres, url: "${pgDb.url}" }`, 'select id, 1 / (id - id) as boom from users'],
    ];
    for (const [source, sql] of boom) {
      const dir = await workspace(source, sql, (d) =>
        duckdb(join(d, 'w.duckdb'), 'create table users as select 1 as id'),
      );
      const result = await sluice('-w', dir, 'check', '--json');
      const broken = result.json<{ checks: CheckItem[] }>().checks.find((c) => c.name === 'broken')!;
      expect(broken).toMatchObject({ kind: 'model', ok: true });
      expect(broken.notes[0]).toMatch(/^columns: id \w+, boom/);
    }
  });
});

describe('sluice check when only a connection fails', () => {
  it('exits 1 and does not run the models of the source that did not connect', async () => {
    const dir = await workspace(
      '{ type: postgres, url: "postgres://postgres@127.0.0.1:1/none" }',
      'select 1 as id',
      async () => {},
    );
    // Only the unreachable source: the syncs' columns cannot be checked without it.
    const result = await sluice('-w', dir, 'check', '--json');
    expect(result.code).toBe(1);
    const checks = result.json<{ checks: CheckItem[] }>().checks;
    expect(checks.filter((c) => c.kind === 'model').every((c) => c.skipped)).toBe(true);
  });
});

describe('sluice check on files (CSV through DuckDB)', () => {
  it("lists a CSV model's columns and places an error on the model file's line", async () => {
    const { dir, cleanup } = await tempWorkspace();
    folders.push(cleanup);
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'users.csv'), 'id,email\n1,a@example.com\n');
    await mkdir(join(dir, 'models'));
    await writeFile(
      join(dir, 'models', 'broken.sql'),
      "select id,\n  email,\n  nope\nfrom read_csv('data/users.csv')\n",
    );
    await writeYaml(
      dir,
      `sources:
  files: { type: files }
models:
  users: { source: files, sql: "select * from read_csv('data/users.csv')" }
  broken: { source: files, file: models/broken.sql }
`,
    );
    const result = await sluice('-w', dir, 'check', '--json');
    expect(result.code).toBe(2);
    const checks = result.json<{ checks: CheckItem[] }>().checks;
    expect(checks.find((c) => c.name === 'users')).toMatchObject({
      ok: true,
      notes: ['columns: id BIGINT, email VARCHAR'],
    });
    const broken = checks.find((c) => c.name === 'broken')!;
    expect(broken.problems[0]).toMatchObject({ file: 'models/broken.sql', line: 3 });
    expect(broken.problems[0]!.message).toContain('LINE 3:   nope');
  });
});
