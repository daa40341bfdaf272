// biome-ignore-all lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax is under test.
// Issue "Real warehouses", item 4: an unreachable host, a wrong password, a missing table, a SQL
// error in the model and a statement timeout each end the run `failed` (exit 1) with an error that
// names the source and says what to check, change no state, and show no password.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { type CliResult, sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

const PASSWORD = `Wr0ng-${randomBytes(6).toString('hex')}`;
const MY_USER = `sluice_fail_${randomBytes(4).toString('hex')}`;
const PASSWORD_VAR = 'SLUICE_TEST_SOURCE_PASSWORD';

let pg: TestDatabase;
let my: TestDatabase;
let receiver: Receiver;
let dir: string;
let cleanup: () => Promise<void>;

/** postgres URL of the test database with `PASSWORD` (trust auth ignores it, but it must never show). */
function pgUrl(host = '127.0.0.1:5432'): string {
  return `postgres://postgres:${PASSWORD}@${host}/${pg.name}`;
}

function yaml(): string {
  const sync = (name: string, model: string) => `  ${name}:
    model: ${model}
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings: { traits.name: name }
`;
  return `sources:
  app: { type: postgres, url: "${pgUrl()}" }
  down: { type: postgres, url: "${pgUrl('127.0.0.1:1')}" }
  slow: { type: postgres, url: "${pgUrl()}", statement_timeout: 300ms }
  crm: { type: mysql, url: "mysql://${MY_USER}:\${${PASSWORD_VAR}}@127.0.0.1:3306/${my.name}" }
  crm_root: { type: mysql, url: "mysql://root@127.0.0.1:3306/${my.name}" }
destinations:
  segment: { type: segment, write_key: failure-key, endpoint: "${receiver.url}" }
models:
  people: { source: app, sql: "SELECT id, name FROM people" }
  people_down: { source: down, sql: "SELECT id, name FROM people" }
  people_slow: { source: slow, sql: "SELECT id, name FROM people WHERE pg_sleep(2) IS NOT NULL" }
  customers: { source: crm, sql: "SELECT id, name FROM customers" }
  customers_typo: { source: crm_root, sql: "SELEC id, name FROM customers" }
syncs:
${sync('people', 'people')}${sync('unreachable', 'people_down')}${sync('timeout', 'people_slow')}${sync('wrong-password', 'customers')}${sync('sql-error', 'customers_typo')}`;
}

function expectNoPassword(result: CliResult): void {
  expect(result.stdout).not.toContain(PASSWORD);
  expect(result.stderr).not.toContain(PASSWORD);
}

/** Runs a sync expected to fail, and checks what every failure must say. */
const MODEL_OF: Record<string, string> = {
  people: 'people',
  unreachable: 'people_down',
  timeout: 'people_slow',
  'wrong-password': 'customers',
  'sql-error': 'customers_typo',
};

async function failedRun(sync: string, source: string): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', sync, '--json');
  expectNoPassword(result);
  expect(result.code).toBe(1);
  const run = result.json<SyncRunResult>();
  expect(run.sync).toBe(sync);
  expect(run.status).toBe('failed');
  expect(run.error?.code).toBe('source_error');
  expect(run.error?.message).toContain(`source "${source}"`);
  expect(run.error?.message).toMatch(new RegExp(`^model "${MODEL_OF[sync]}": `));
  expect(run.counts).toMatchObject({ extracted: 0, planned: 0, succeeded: 0 });
  return run;
}

/** The run history of `sync`: the failed run must be the only one, and nothing was recorded for it. */
async function expectOnlyFailedRun(sync: string, run: SyncRunResult): Promise<void> {
  const runs = await sluice('-w', dir, 'runs', sync, '--json');
  expectNoPassword(runs);
  expect(runs.json<{ run_id: string; status: string }[]>().map((r) => [r.run_id, r.status])).toEqual([
    [run.run_id, 'failed'],
  ]);
  const records = await sluice('-w', dir, 'records', run.run_id, '--json');
  expect(records.json()).toEqual([]);
}

beforeAll(async () => {
  [pg, my] = await Promise.all([
    createPostgresDatabase('sluice_fail_pg'),
    createMysqlDatabase('sluice_fail_my'),
  ]);
  await pg.query(
    "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT); INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace')",
  );
  await my.query('CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(50))');
  await my.query("INSERT INTO customers VALUES (1, 'Linus')");
  for (const host of ['127.0.0.1', 'localhost']) {
    await my.query(`CREATE USER '${MY_USER}'@'${host}' IDENTIFIED BY 'the-right-password'`);
    await my.query(`GRANT SELECT ON ${my.name}.* TO '${MY_USER}'@'${host}'`);
  }
  process.env[PASSWORD_VAR] = PASSWORD;
  receiver = await startReceiver({ port: 0 });
  ({ dir, cleanup } = await tempWorkspace('sluice-source-failures-'));
  await writeYaml(dir, yaml());
});

afterAll(async () => {
  delete process.env[PASSWORD_VAR];
  for (const host of ['127.0.0.1', 'localhost']) {
    await my?.query(`DROP USER IF EXISTS '${MY_USER}'@'${host}'`).catch(() => undefined);
  }
  await receiver?.close();
  await Promise.all([pg?.drop(), my?.drop(), cleanup?.()]);
});

describe('source failures through the CLI', () => {
  it('an unreachable host: failed, exit 1, says to check host and port', async () => {
    const run = await failedRun('unreachable', 'down');
    expect(run.error?.message).toContain('could not connect to postgres@127.0.0.1:1/');
    expect(run.error?.message).toContain('check the host and port');
    await expectOnlyFailedRun('unreachable', run);
  });

  it('a wrong password read from ${VAR}: failed, names the user, never the password', async () => {
    const run = await failedRun('wrong-password', 'crm');
    expect(run.error?.message).toContain(`Access denied for user '${MY_USER}'`);
    expect(run.error?.message).toContain('check the user and password in the url');
    await expectOnlyFailedRun('wrong-password', run);
  });

  it('a SQL error in the model: failed, quotes the server, points at the SQL', async () => {
    const run = await failedRun('sql-error', 'crm_root');
    expect(run.error?.message).toMatch(/SQL syntax/);
    expect(run.error?.message).toContain("check the model's SQL syntax");
    await expectOnlyFailedRun('sql-error', run);
  });

  it('a statement timeout: failed, says which setting to raise', async () => {
    const run = await failedRun('timeout', 'slow');
    expect(run.error?.message).toContain('statement timeout (300 ms)');
    expect(run.error?.message).toContain('raise statement_timeout for this source');
    await expectOnlyFailedRun('timeout', run);
  });

  it('a table gone missing after a good run: failed, and what was delivered stays delivered', async () => {
    const good = await sluice('-w', dir, 'sync', 'run', 'people', '--json');
    expect(good.code).toBe(0);
    expect(good.json<SyncRunResult>().counts).toMatchObject({ planned: 2, succeeded: 2 });
    await pg.query('ALTER TABLE people RENAME TO people_moved');
    let failed: SyncRunResult;
    try {
      failed = await failedRun('people', 'app');
    } finally {
      await pg.query('ALTER TABLE people_moved RENAME TO people');
    }
    expect(failed.error?.message).toContain('relation "people" does not exist');
    expect(failed.error?.message).toContain('check the table and schema names');
    const runs = await sluice('-w', dir, 'runs', 'people', '--json');
    expect(runs.json<{ status: string }[]>().map((r) => r.status)).toEqual(['failed', 'completed']);
    // The failed run changed nothing: with the table back, nothing is new or changed.
    const again = await sluice('-w', dir, 'sync', 'run', 'people', '--json');
    expect(again.json<SyncRunResult>().counts).toMatchObject({ extracted: 2, unchanged: 2, planned: 0 });
    expect(receiver.messages()).toHaveLength(2);
  });

  it('sluice check tests every source, failing on the broken ones without showing a password', async () => {
    const check = await sluice('-w', dir, 'check', '--json');
    expectNoPassword(check);
    // 2, not 1: besides the connections, the model of "sql-error" has an SQL error (SPEC §4).
    expect(check.code).toBe(2);
    const sources = check
      .json<{ checks: { kind: string; name: string; ok: boolean; notes: string[] }[] }>()
      .checks.filter((c) => c.kind === 'source');
    expect(sources.map((s) => [s.name, s.ok])).toEqual([
      ['app', true],
      ['down', false],
      ['slow', true],
      ['crm', false],
      ['crm_root', true],
    ]);
    expect(sources.find((s) => s.name === 'down')?.notes.join(' ')).toContain('ECONNREFUSED');
  });
});
