// What a user sees when the workspace or the command line is wrong: every problem at once, with its
// line and a fix, and exit code 2 (SPEC §1, §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
});
afterAll(async () => cleanup?.());

describe('a broken sluice.yaml', () => {
  it('names an unknown model, an unknown key and an undefined destination, each with its line', async () => {
    await writeYaml(
      dir,
      `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: warehouse, sql: "select 1 as id" }
syncs:
  users-to-segment:
    model: userz
    destination: segmnt
    object: user
    key: { column: id, field: userId }
    colour: blue
    mappings:
      traits.email: email
`,
    );
    for (const args of [['check'], ['sync', 'list'], ['sync', 'run', 'users-to-segment']]) {
      const result = await sluice('-w', dir, ...args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/sluice\.yaml:9: .*"userz"/);
      expect(result.stderr).toMatch(/sluice\.yaml:10: .*"segmnt"/);
      expect(result.stderr).toMatch(/sluice\.yaml:13: .*"colour"/);
    }
  });

  it('reports a missing workspace file plainly', async () => {
    const empty = await tempWorkspace();
    try {
      const result = await sluice('-w', empty.dir, 'sync', 'list');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/sluice\.yaml/);
    } finally {
      await empty.cleanup();
    }
  });
});

describe('the command line', () => {
  it('exits 2 for an unknown sync, naming the ones that exist', async () => {
    await writeYaml(
      dir,
      `sources:
  warehouse: { type: duckdb, path: ":memory:" }
destinations:
  segment: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: warehouse, sql: "select 1 as id" }
syncs:
  users-to-segment: { model: users, destination: segment, object: user, key: { column: id } }
`,
    );
    const result = await sluice('-w', dir, 'sync', 'run', 'nope');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('users-to-segment');
  });

  it('exits 2 for an unknown command or option', async () => {
    expect((await sluice('-w', dir, 'frobnicate')).code).toBe(2);
    expect((await sluice('-w', dir, 'runs', '--limit', 'many')).code).toBe(2);
  });

  it('refuses --limit 0 where it would list nothing and then say there is nothing', async () => {
    // `runs --limit 0` would print "No runs yet" and `records --limit 0` "has no records": both false.
    for (const args of [
      ['runs', '--limit', '0'],
      ['runs', '--limit', '-1'],
      ['records', 'r_any', '--limit', '0'],
    ]) {
      const result = await sluice('-w', dir, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain('expected a whole number of 1 or more');
    }
    expect((await sluice('-w', dir, 'receiver', '--latency', '-5')).stderr).toContain(
      'expected a whole number of 0 or more',
    );
  });

  it('accepts model preview --limit 0: the columns and their types, no rows', async () => {
    const result = await sluice('-w', dir, 'model', 'preview', 'users', '--limit', '0');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('id');
    expect(result.stdout).toContain('0 rows of model "users"');
  });
});
