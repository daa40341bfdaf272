// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
// Secrets kept secret (SPEC §1 "a secret: never printed, logged, or stored in
// clear"): a distinctive random write key and database password go through every command a user
// runs, in this process and as real processes, including failures (401, refused connections, a
// broken workspace). Then everything those runs left behind is searched for them: stdout, stderr,
// every file under the workspace (the SQLite state and its -wal/-shm read as raw bytes) and the
// receiver's JSONL file. `sluice check` may show the key's last 4 characters, nothing more.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { sluice } from './helpers/cli.js';
import { spawnSluice } from './helpers/spawn-cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

/** Letters and digits only, so that URL-encoding and JSON escaping leave them as they are. */
function randomText(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

const KEY = `wk_${randomText(24)}`;
const PASSWORD = `pw${randomText(22)}`;
/** The Basic credential Segment's API takes: base64("<key>:") (segment-contract.md §1 "auth (a)"). */
const BASIC = Buffer.from(`${KEY}:`).toString('base64');

/**
 * What must never be found: the secrets whole, their Basic forms, and any long piece of them (a
 * truncated error message must not keep most of a key either). Pieces of 12 characters are far
 * longer than the 4-character fingerprint and cannot occur by chance.
 */
const NEEDLES: { name: string; text: string }[] = [
  { name: 'the write key', text: KEY },
  { name: 'the Basic credential', text: BASIC },
  { name: 'base64 of the key alone', text: Buffer.from(KEY).toString('base64') },
  { name: 'the password', text: PASSWORD },
  ...pieces('a piece of the write key', KEY, 12),
  ...pieces('a piece of the Basic credential', BASIC.slice(0, -4), 16),
  ...pieces('a piece of the password', PASSWORD, 12),
];

function pieces(name: string, text: string, length: number): { name: string; text: string }[] {
  return Array.from({ length: text.length - length + 1 }, (_, i) => ({
    name,
    text: text.slice(i, i + length),
  }));
}

/** Which secrets (or pieces of them) `bytes` holds, as "<needle> in <where>" lines. */
function leaksIn(bytes: Buffer, where: string): string[] {
  return NEEDLES.filter((needle) => bytes.includes(Buffer.from(needle.text))).map(
    (needle) => `${needle.name} in ${where}`,
  );
}

/** Every output the test saw, to be searched at the end. */
const outputs: { what: string; text: string }[] = [];

let dir: string;
let brokenDir: string;
let cleanup: () => Promise<void>;
let cleanupBroken: () => Promise<void>;
let receiver: Receiver;
let denied: Server;
let echo: Server;
let refusedPort: number;
const ENV: Record<string, string> = {
  SEGMENT_WRITE_KEY: KEY,
  APP_DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:5432/test`,
  MYSQL_URL: `mysql://root:${PASSWORD}@127.0.0.1:3306/mysql`,
};

/** Runs the CLI in this process and keeps what it printed. */
async function cli(...args: string[]) {
  const result = await sluice(...args);
  outputs.push({ what: `sluice ${args.join(' ')} (stdout)`, text: result.stdout });
  outputs.push({ what: `sluice ${args.join(' ')} (stderr)`, text: result.stderr });
  return result;
}

/** Runs the CLI as its own process with the secrets in its environment and keeps what it printed. */
async function cliProcess(args: string[], onStarted?: (pid: number) => void) {
  const run = await spawnSluice(args, { env: ENV, ...(onStarted ? { onStarted } : {}) });
  outputs.push({ what: `process sluice ${args.join(' ')} (stdout)`, text: run.stdout });
  outputs.push({ what: `process sluice ${args.join(' ')} (stderr)`, text: run.stderr });
  return run;
}

/** The newest run of a sync, read from the state store (the test's own look, not the CLI's). */
function latestRun(sync: string): string {
  const db = new Database(join(dir, '.sluice', 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT run_id FROM runs WHERE sync = ? ORDER BY seq DESC LIMIT 1').get(sync) as
      | { run_id: string }
      | undefined;
    return row?.run_id ?? '';
  } finally {
    db.close();
  }
}

/** Sends SIGTERM once the sync's run has started (its signal handlers are then in place), and again. */
async function stopWhenRunning(pid: number, sync: string): Promise<void> {
  const before = latestRun(sync);
  for (let i = 0; i < 200 && latestRun(sync) === before; i++) await sleep(50);
  await sleep(300);
  process.kill(pid, 'SIGTERM');
  await sleep(500);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone: the run stopped on the first signal (it had nothing in flight yet).
  }
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-secrets-'));
  ({ dir: brokenDir, cleanup: cleanupBroken } = await tempWorkspace('sluice-secrets-broken-'));
  Object.assign(process.env, ENV);
  receiver = await startReceiver({ port: 0, writeKeys: [KEY], outFile: join(dir, 'received.jsonl') });
  // An endpoint that refuses the key and echoes the credential back in its answer, as some proxies do.
  denied = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const authorization = req.headers.authorization ?? '';
      const key = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        `{"message":"unauthorized","pad":"${'x'.repeat(440)}","got":"${authorization}","key":"${key}"}`,
      );
    });
  });
  denied.listen(0, '127.0.0.1');
  await once(denied, 'listening');
  // An endpoint that rejects every batch (400) and quotes the key back, across the 500-character
  // clip Sluice applies to the answers it quotes in records.
  echo = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString(
        'utf8',
      );
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(`{"message":"bad request","pad":"${'x'.repeat(444)}","key":"${key}"}`);
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  refusedPort = await closedPort();

  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as
     select i as id, 'user' || i || '@example.com' as email,
            case when i % 10 = 0 then 'not json' else '{"plan":"pro"}' end as extra
     from range(1, 41) t(i)`,
  );
  const deniedUrl = `http://127.0.0.1:${(denied.address() as AddressInfo).port}`;
  await writeYaml(
    dir,
    `state: sqlite:.sluice/state.db
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
  app: { type: postgres, url: "\${APP_DATABASE_URL}" }
  app-down: { type: postgres, url: "postgres://postgres:\${SEGMENT_WRITE_KEY}@127.0.0.1:${refusedPort}/test" }
  crm: { type: mysql, url: "\${MYSQL_URL}" }
destinations:
  segment: { type: segment, write_key: "\${SEGMENT_WRITE_KEY}", endpoint: "${receiver.url}" }
  denied: { type: segment, write_key: "\${SEGMENT_WRITE_KEY}", endpoint: "${deniedUrl}" }
  refused: { type: segment, write_key: "\${SEGMENT_WRITE_KEY}", endpoint: "http://127.0.0.1:${refusedPort}" }
  echo: { type: segment, write_key: "\${SEGMENT_WRITE_KEY}", endpoint: "http://127.0.0.1:${(echo.address() as AddressInfo).port}" }
models:
  users: { source: warehouse, sql: "select * from users" }
  pg-users: { source: app, sql: "select i as id, 'pg' || i || '@example.com' as email from generate_series(1, 25) as t(i)" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.extra: { template: "{{ extra }}", json: true }
  pg-users:
    model: pg-users
    destination: segment
    object: user
    key: { column: id, field: anonymousId }
    mappings:
      traits.email: email
  users-denied:
    model: users
    destination: denied
    object: user
    key: { column: id, field: userId }
    mappings: { traits.email: email }
  users-echo:
    model: users
    destination: echo
    object: user
    key: { column: id, field: userId }
    mappings: { traits.email: email }
  users-refused:
    model: users
    destination: refused
    object: user
    key: { column: id, field: userId }
    mappings: { traits.email: email }
`,
  );
  // Secrets from the environment in places where a validator might quote the value back.
  await writeYaml(
    brokenDir,
    `state: "\${SEGMENT_WRITE_KEY}"
sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
  crm: { type: mysql, url: "\${APP_DATABASE_URL}" }
  app: { type: postgres, url: "\${APP_DATABASE_URL}", sslmode: "\${SEGMENT_WRITE_KEY}" }
destinations:
  segment:
    type: segment
    write_key: "\${SEGMENT_WRITE_KEY}"
    region: "\${SEGMENT_WRITE_KEY}"
    endpoint: "http://\${SEGMENT_WRITE_KEY}@127.0.0.1:1/\${APP_DATABASE_URL}"
    concurrency: "\${SEGMENT_WRITE_KEY}"
models:
  users: { source: "\${SEGMENT_WRITE_KEY}", sql: "select 1 as id" }
syncs:
  users:
    model: users
    destination: segment
    object: "\${SEGMENT_WRITE_KEY}"
    key: { column: id, field: "\${SEGMENT_WRITE_KEY}" }
    schedule: "\${SEGMENT_WRITE_KEY}"
    mappings:
      traits.email: { template: "{{ \${SEGMENT_WRITE_KEY} }" }
`,
  );
});

afterAll(async () => {
  for (const name of Object.keys(ENV)) delete process.env[name];
  await receiver?.close();
  for (const server of [denied, echo]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
  await cleanup?.();
  await cleanupBroken?.();
});

interface RunJson {
  run_id: string;
  status: string;
  counts: { succeeded: number; invalid: number; failed: number };
  error: { code: string; message: string } | null;
}

describe('a workspace whose write key and database password are secrets', () => {
  it('check shows the write key only by its fingerprint, and tests every connection', async () => {
    const human = await cli('-w', dir, 'check');
    expect(human.stdout).toContain(`write key …${KEY.slice(-4)}`);
    expect(human.stdout).toMatch(/✓ source app/);
    expect(human.stdout).toMatch(/✗ source app-down/);
    expect(human.stdout).toMatch(/✗ destination denied/);
    expect(human.stdout).toMatch(/✗ destination refused/);
    const json = await cli('-w', dir, 'check', '--json');
    const checks = json.json<{ checks: { name: string; notes: string[] }[] }>().checks;
    expect(checks.find((c) => c.name === 'segment')?.notes[0]).toBe(`segment, write key …${KEY.slice(-4)}`);
  });

  it('runs syncs in this process: a success, a dry run, a 401 and the records of each', async () => {
    const first = await cli('-w', dir, 'sync', 'run', 'users', 'pg-users', '--json');
    expect(first.code).toBe(0);
    const [users, pgUsers] = first.json<RunJson[]>();
    expect(users).toMatchObject({ status: 'completed', counts: { succeeded: 36, invalid: 4 } });
    expect(pgUsers).toMatchObject({ status: 'completed', counts: { succeeded: 25 } });
    // The key really went out (Basic auth): the receiver, which knows only KEY, took every message.
    expect(receiver.stats().accepted).toBe(61);
    expect(receiver.stats().discardsByReason.unknown_write_key).toBeUndefined();

    await duckdb(join(dir, 'warehouse.duckdb'), "update users set email = 'changed' || id where id <= 5");
    const dry = await cli('-w', dir, 'sync', 'run', 'users', '--dry-run', '--json');
    expect(dry.json<{ samples: unknown[] }>().samples.length).toBeGreaterThan(0);
    await cli('-w', dir, 'sync', 'run', 'users', '--dry-run');

    const refused = await cli('-w', dir, 'sync', 'run', 'users-denied', '--json');
    expect(refused.code).toBe(1);
    expect(refused.json<RunJson>()).toMatchObject({ status: 'failed', error: { code: 'destination_fatal' } });
    await cli('-w', dir, 'sync', 'run', 'users-denied');

    // Every batch rejected: the rows fail one by one, each with the endpoint's answer in its record.
    const rejected = await cli('-w', dir, 'sync', 'run', 'users-echo', '--json');
    expect(rejected.json<RunJson>()).toMatchObject({ status: 'completed', counts: { failed: 40 } });

    await cli('-w', dir, 'sync', 'list');
    await cli('-w', dir, 'sync', 'list', '--json');
    const runs = (await cli('-w', dir, 'runs', '--json')).json<{ run_id: string }[]>();
    expect(runs.length).toBeGreaterThanOrEqual(4);
    await cli('-w', dir, 'runs');
    for (const run of runs) {
      await cli('-w', dir, 'records', run.run_id, '--json');
      await cli('-w', dir, 'records', run.run_id);
    }
  });

  it('runs syncs as real processes: a success, and a run stopped while its endpoint refuses connections', async () => {
    const check = await cliProcess(['-w', dir, 'check', '--json']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`write key …${KEY.slice(-4)}`);
    const run = await cliProcess(['-w', dir, 'sync', 'run', 'users', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', counts: { succeeded: 5 } });

    // Connections are refused and retried with backoff: once the run is under way (its run row
    // exists), stop it as a user would, SIGTERM and then SIGTERM again.
    const stopped = await cliProcess(['-w', dir, 'sync', 'run', 'users-refused'], (pid) => {
      void stopWhenRunning(pid, 'users-refused');
    });
    expect(stopped.signal).toBeNull();
    // 130 when the second signal cut the retries short, 1 when the first already ended the run.
    expect([1, 130]).toContain(stopped.code);
    expect(stopped.stderr).toMatch(/SIGTERM: stopping users-refused/);
    const records = await cliProcess(['-w', dir, 'records', latestRun('users-refused'), '--json']);
    expect(records.code).toBe(0);
  });

  it('a broken workspace names its problems without quoting the secrets it holds', async () => {
    const inProcess = await cli('-w', brokenDir, 'check');
    expect(inProcess.code).toBe(2);
    expect(inProcess.stderr).toMatch(/problems in the workspace/);
    const asProcess = await cliProcess(['-w', brokenDir, 'sync', 'run', 'users', '--json']);
    expect(asProcess.code).toBe(2);
    expect(asProcess.stderr).toBe(inProcess.stderr);
  });

  it('leaves the secrets nowhere: not in any output, not in any file under the workspace', async () => {
    const files = await filesUnder(dir);
    const names = files.map((f) => f.slice(dir.length + 1));
    // The state store (with its write-ahead log) and the receiver's file were written and are searched.
    expect(names).toEqual(expect.arrayContaining([join('.sluice', 'state.db'), 'received.jsonl']));
    if (process.env.SLUICE_SECRETS_DUMP) {
      await writeFile(
        process.env.SLUICE_SECRETS_DUMP,
        outputs.map((o) => `== ${o.what}\n${o.text}`).join('\n'),
      );
    }
    const leaks: string[] = [];
    for (const output of outputs) leaks.push(...leaksIn(Buffer.from(output.text), output.what));
    for (const file of [...files, ...(await filesUnder(brokenDir))]) {
      leaks.push(...leaksIn(await readFile(file), file));
    }
    expect([...new Set(leaks)]).toEqual([]);
    // Not vacuous: the outputs are there, and planted pieces of each secret would be found.
    expect(outputs.length).toBeGreaterThan(40);
    expect(leaksIn(Buffer.from(`"…${KEY.slice(5, 19)}…"`), 'a plant')).toContain(
      'a piece of the write key in a plant',
    );
    expect(leaksIn(Buffer.from(`Basic ${BASIC.slice(0, 20)}`), 'a plant').length).toBeGreaterThan(0);
    expect(leaksIn(Buffer.from(`:${PASSWORD.slice(-13)}@`), 'a plant').length).toBeGreaterThan(0);
    // …and the fingerprint alone is not a leak.
    expect(leaksIn(Buffer.from(`write key …${KEY.slice(-4)}`), 'a fingerprint')).toEqual([]);
  });
});
