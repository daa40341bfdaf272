// `sluice token create|list|revoke` (SPEC §4, §6): API tokens for `sluice serve`, made and managed
// from the command line on the workspace's state, SQLite or PostgreSQL, and carried along by
// `sluice state migrate`, so the HTTP API takes the same tokens after the move.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CreatedToken, TokenDocument } from '../src/index.js';
import { openWorkspace } from '../src/index.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let database: TestDatabase;

/** A workspace with no syncs: tokens need only its state. */
const yaml = (state: string) => `state: ${state}
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
`;

async function verify(token: string) {
  const workspace = await openWorkspace(dir);
  try {
    return await workspace.verifyToken(token);
  } finally {
    await workspace.close();
  }
}

beforeAll(async () => {
  database = await createPostgresDatabase('sluice_token_cli');
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-tokens-'));
  await writeYaml(dir, yaml('sqlite:.sluice/state.db'));
});
afterEach(async () => {
  await cleanup();
});

describe('sluice token', () => {
  it('creates a token, shows it once, lists it without it, and revokes it', async () => {
    const none = await sluice('-w', dir, 'token', 'list');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^No API tokens yet\. Make one with: sluice token create NAME --role/);

    const made = await sluice('-w', dir, 'token', 'create', 'ci', '--role', 'operator');
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.match(/^ {2}(slk_[A-Za-z0-9_-]{43})$/m)?.[1];
    expect(token).toBeDefined();
    expect(made.stdout).toMatch(/Created API token "ci" with role operator/);
    expect(made.stdout).toMatch(/it will not be shown again \(only its hash is stored\)/);
    expect(await verify(token!)).toEqual({ name: 'ci', role: 'operator' });

    const json = await sluice('-w', dir, 'token', 'create', 'grafana', '--json');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const grafana = json.json<CreatedToken>();
    expect(grafana).toEqual({
      name: 'grafana',
      role: 'viewer',
      token: expect.stringMatching(/^slk_[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
    });

    const table = await sluice('-w', dir, 'token', 'list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +ROLE +CREATED +LAST USED$/);
    expect(lines[1]).toMatch(/^ci +operator +\d{4}-\d\d-\d\dT[\d:.]+Z +\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines[2]).toMatch(/^grafana +viewer +\S+ +never$/);
    expect(table.stdout).not.toContain(token!.slice(4));
    const listed = (await sluice('-w', dir, 'token', 'list', '--json')).json<TokenDocument[]>();
    expect(listed.map((t) => Object.keys(t).sort())).toEqual([
      ['created_at', 'last_used_at', 'name', 'role'],
      ['created_at', 'last_used_at', 'name', 'role'],
    ]);
    expect(listed[1]).toEqual({
      name: 'grafana',
      role: 'viewer',
      created_at: grafana.created_at,
      last_used_at: null,
    });

    const revoked = await sluice('-w', dir, 'token', 'revoke', 'ci', '--json');
    expect(revoked.code).toBe(0);
    expect(revoked.json()).toEqual({ name: 'ci', revoked: true });
    expect(await verify(token!)).toBeNull();
    const human = await sluice('-w', dir, 'token', 'revoke', 'grafana');
    expect(human.stdout).toBe('Revoked API token "grafana": requests with it are refused from now on.\n');
    expect((await sluice('-w', dir, 'token', 'list', '--json')).json()).toEqual([]);
  });

  it('exits 2 for a taken name, a bad name, a bad role and an unknown token, in JSON too', async () => {
    expect((await sluice('-w', dir, 'token', 'create', 'ci')).code).toBe(0);

    const taken = await sluice('-w', dir, 'token', 'create', 'ci', '--role', 'admin');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^error \[conflict\]: a token named "ci" exists/);
    const takenJson = await sluice('-w', dir, 'token', 'create', 'ci', '--json');
    expect(takenJson.code).toBe(2);
    expect(takenJson.json()).toMatchObject({ error: { code: 'conflict' } });

    const role = await sluice('-w', dir, 'token', 'create', 'bot', '--role', 'root');
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(
      /error \[usage\]: a token's role is one of viewer, operator, admin .*not "root"/,
    );
    expect(role.stdout).toBe('');

    const name = await sluice('-w', dir, 'token', 'create', 'two words', '--json');
    expect(name.code).toBe(2);
    expect(name.json()).toMatchObject({ error: { code: 'usage' } });

    const unknown = await sluice('-w', dir, 'token', 'revoke', 'nobody');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /error \[not_found\]: no token named "nobody" — list them with: sluice token list/,
    );

    const missing = await sluice('-w', dir, 'token', 'create');
    expect(missing.code).toBe(2);
    // Nothing but the first token was made.
    expect((await sluice('-w', dir, 'token', 'list', '--json')).json<TokenDocument[]>()).toEqual([
      expect.objectContaining({ name: 'ci', role: 'viewer' }),
    ]);
  });

  it('works on PostgreSQL state, and a state migrated there keeps its tokens', async () => {
    const made = (
      await sluice('-w', dir, 'token', 'create', 'ci', '--role', 'operator', '--json')
    ).json<CreatedToken>();
    await verify(made.token);
    const before = (await sluice('-w', dir, 'token', 'list', '--json')).json<TokenDocument[]>();
    expect(before[0]?.last_used_at).not.toBeNull();

    const url = `${database.url}?schema=moved`;
    const moved = await sluice('-w', dir, 'state', 'migrate', '--to', url, '--json');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json()).toMatchObject({ tokens: 1, replaced: false });
    await writeYaml(dir, yaml(url));
    expect((await sluice('-w', dir, 'token', 'list', '--json')).json()).toEqual(before);
    expect(await verify(made.token)).toEqual({ name: 'ci', role: 'operator' });

    const admin = await sluice('-w', dir, 'token', 'create', 'admin', '--role', 'admin', '--json');
    expect(admin.code).toBe(0);
    expect(await verify(admin.json<CreatedToken>().token)).toEqual({ name: 'admin', role: 'admin' });
    expect((await sluice('-w', dir, 'token', 'create', 'ci')).code).toBe(2);
    expect((await sluice('-w', dir, 'token', 'revoke', 'ci')).code).toBe(0);
    expect(await verify(made.token)).toBeNull();
    const table = await sluice('-w', dir, 'token', 'list');
    expect(table.stdout).toMatch(/^NAME +ROLE +CREATED +LAST USED\nadmin +admin +\S+ +\S+\n$/);
    expect(await database.query('SELECT name FROM moved.api_tokens')).toEqual([{ name: 'admin' }]);
  });
});
