// Knowing when it breaks (SPEC §7), as a user meets it through the CLI: a sequence of runs against
// the receiver — healthy, rows failing, failing again, healthy, a model with no rows, a broken
// source — raises each alert once and resolves it once; lifecycle webhooks arrive signed per
// Standard Webhooks at a catcher on loopback, a Slack target gets a {"text"} body, a failing target
// is retried under the same webhook-id before the CLI exits and shows in `sluice alerts`; logs are
// JSON lines with run id and sync; no secret is in any output or any file of the workspace.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertListing, SyncRunResult } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { type CliResult, sluice } from './helpers/cli.js';
import { type CaughtRequest, WebhookCatcher } from './helpers/webhook-catcher.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const WRITE_KEY = 'alerts-write-key-Hq71';
const OPS_SECRET = `whsec_${Buffer.from('alerts-test-signing-key-0123456789').toString('base64')}`;
const SLACK_TOKEN = 'T0001/B0002/slackSecretPath77';
const ENV = ['OPS_WEBHOOK_URL', 'OPS_WEBHOOK_SECRET', 'SLACK_WEBHOOK_URL', 'SLUICE_NOTIFY_WAIT_MS'] as const;

let receiver: Receiver;
let ops: WebhookCatcher;
let slack: WebhookCatcher;
let dir: string;
let cleanup: () => Promise<void>;
const savedEnv: Partial<Record<(typeof ENV)[number], string | undefined>> = {};
/** Everything the CLI printed, for the secrets check at the end. */
const printed: string[] = [];

interface EventBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [WRITE_KEY] });
  ops = await WebhookCatcher.start({ secret: OPS_SECRET });
  slack = await WebhookCatcher.start();
  ({ dir, cleanup } = await tempWorkspace('sluice-alerts-'));
  for (const name of ENV) savedEnv[name] = process.env[name];
  process.env.OPS_WEBHOOK_URL = `${ops.url}/hooks/sluice`;
  process.env.OPS_WEBHOOK_SECRET = OPS_SECRET;
  process.env.SLACK_WEBHOOK_URL = `${slack.url}/services/${SLACK_TOKEN}`;
  // Long enough for the first retry (after 5 s), short enough for a test.
  process.env.SLUICE_NOTIFY_WAIT_MS = '9000';
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as select i as id, 'u' || i || '@example.com' as email from range(1, 41) t(i)`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: ${WRITE_KEY}, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
notify:
  ops: { type: webhook, url: "\${OPS_WEBHOOK_URL}", secret: "\${OPS_WEBHOOK_SECRET}" }
  slack: { type: slack, url: "\${SLACK_WEBHOOK_URL}" }
alerts:
  - { when: run_failed, notify: [slack] }
  - { when: failed_rows, over: 5%, notify: [ops] }
webhooks: { notify: [ops], events: [run.started, run.completed, run.failed] }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
    alerts:
      - { when: zero_rows, notify: [ops] }
`,
  );
});

afterAll(async () => {
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await receiver?.close();
  await ops?.close();
  await slack?.close();
  await cleanup?.();
});

async function cli(...args: string[]): Promise<CliResult> {
  const out = await sluice('-w', dir, ...args);
  printed.push(out.stdout, out.stderr);
  return out;
}

/** Runs the users sync and answers its summary and what the ops target received meanwhile. */
async function runUsers(
  ...flags: string[]
): Promise<{ out: CliResult; result: SyncRunResult; events: EventBody[] }> {
  const before = ops.requests.length;
  const out = await cli('sync', 'run', 'users', '--json', ...flags);
  const result = out.json<SyncRunResult>();
  const caught = ops.requests.slice(before);
  for (const request of caught) expect(request.verified, request.body).toBe(true);
  // Due notifications go out side by side, so they may arrive in any order (as Standard Webhooks
  // allows; each carries its timestamp): put them in lifecycle order to compare.
  const events = caught.map((request) => JSON.parse(request.body) as EventBody);
  return { out, result, events: events.sort((a, b) => rank(a.type) - rank(b.type)) };
}

function rank(type: string): number {
  return type === 'run.started' ? 0 : type.startsWith('run.') ? 1 : 2;
}

function types(events: EventBody[]): string[] {
  return events.map((event) => event.type);
}

async function alerts(): Promise<AlertListing> {
  const out = await cli('alerts', '--json');
  expect(out.code).toBe(0);
  return out.json<AlertListing>();
}

describe('alerts and notifications through a sequence of runs', () => {
  it('a healthy run sends run.started and run.completed, signed, with the run summary', async () => {
    const { out, result, events } = await runUsers();
    expect(out.code).toBe(0);
    expect(result.counts).toMatchObject({ planned: 40, succeeded: 40 });
    expect(types(events)).toEqual(['run.started', 'run.completed']);
    expect(events[1]!.data).toMatchObject({ run_id: result.run_id, sync: 'users', status: 'completed' });
    expect(events[0]!.data).toMatchObject({ run_id: result.run_id, status: 'running' });
    const request = ops.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/sluice');
    expect(request.headers['content-type']).toMatch(/application\/json/);
    expect(request.headers['webhook-id']).toMatch(/^msg_/);
    expect(slack.requests).toHaveLength(0);
    expect((await alerts()).items).toEqual([]);
  });

  it('rows failing raise failed_rows once; failing again notifies nothing more', async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), `update users set email = 'new-' || email`);
    receiver.setFaults({ failRate: 1, failStatus: 400 });
    try {
      const first = await runUsers();
      expect(first.result.counts).toMatchObject({ planned: 40, failed: 40 });
      expect(first.out.code).toBe(1);
      expect(types(first.events)).toEqual(['run.started', 'run.completed', 'alert.raised']);
      expect(first.events[2]!.data).toMatchObject({
        kind: 'failed_rows',
        rule: 'failed_rows over 5%',
        sync: 'users',
        state: 'raised',
        run_id: first.result.run_id,
        figures: { failed: 40, planned: 40 },
      });
      expect(first.out.stderr).toMatch(/alert raised: users: failed_rows over 5%/);

      const second = await runUsers();
      expect(second.result.counts).toMatchObject({ planned: 40, failed: 40 });
      expect(types(second.events)).toEqual(['run.started', 'run.completed']);
    } finally {
      receiver.setFaults({});
    }
    const listing = await alerts();
    expect(listing.items).toMatchObject([
      { rule: 'failed_rows over 5%', state: 'raised', resolved_at: null },
    ]);
  });

  it('a healthy run again resolves it, once', async () => {
    const { result, events } = await runUsers();
    expect(result.counts).toMatchObject({ planned: 40, succeeded: 40, failed: 0 });
    expect(types(events)).toEqual(['run.started', 'run.completed', 'alert.resolved']);
    expect(events[2]!.data).toMatchObject({ kind: 'failed_rows', state: 'resolved', run_id: result.run_id });
    const again = await runUsers();
    expect(types(again.events)).toEqual(['run.started', 'run.completed']);
    const [alert] = (await alerts()).items;
    expect(alert).toMatchObject({ state: 'resolved', resolved_run_id: result.run_id });
  });

  it("a model returning no rows raises zero_rows (the sync's own alert)", async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from users');
    const { result, events } = await runUsers();
    expect(result.counts.extracted).toBe(0);
    expect(types(events)).toEqual(['run.started', 'run.completed', 'alert.raised']);
    expect(events[2]!.data).toMatchObject({ kind: 'zero_rows', state: 'raised' });
  });

  it('a broken source raises run_failed to Slack; a Slack failure is retried before the CLI exits', async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), 'alter table users rename to users_gone');
    slack.failNext(1);
    const { out, result, events } = await runUsers('--log-format', 'json');
    expect(result.status).toBe('failed');
    expect(out.code).toBe(1);
    // A failed run judges no row-based alert: zero_rows stays open, nothing resolves.
    expect(types(events)).toEqual(['run.started', 'run.failed']);
    expect(events[1]!.data).toMatchObject({ status: 'failed', error: { code: 'source_error' } });
    // Slack answered 500 once, then took the retry (same id, 5 s later), before the CLI exited.
    expect(slack.requests.map((r) => r.status)).toEqual([500, 204]);
    const [firstTry, retry] = slack.requests as [CaughtRequest, CaughtRequest];
    expect(retry.at.getTime() - firstTry.at.getTime()).toBeGreaterThanOrEqual(4_500);
    expect(retry.body).toBe(firstTry.body);
    expect(retry.path).toBe(`/services/${SLACK_TOKEN}`);
    const text = (JSON.parse(retry.body) as { text: string }).text;
    expect(Object.keys(JSON.parse(retry.body) as object)).toEqual(['text']);
    expect(text).toContain('users');
    expect(text).toMatch(/run_failed/);

    // The structured log: JSON lines, each about the run carrying its id and sync.
    const lines = out.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = lines.map((line) => line.event);
    expect(names).toEqual(expect.arrayContaining(['run_started', 'run_finished', 'alert_raised']));
    for (const line of lines.filter((l) => String(l.event).startsWith('run_'))) {
      expect(line).toMatchObject({ run_id: result.run_id, sync: 'users' });
    }
    expect(lines.filter((line) => line.event === 'notification_failed')).toMatchObject([
      { target: 'slack', status: 500, attempt: 1 },
    ]);
    expect(lines.filter((line) => line.event === 'notification_delivered').map((l) => l.target)).toEqual(
      expect.arrayContaining(['ops', 'slack']),
    );
  }, 30_000);

  it('sluice alerts lists open alerts first, then resolved ones, and each target', async () => {
    const listing = await alerts();
    expect(listing.items.map((a) => [a.rule, a.state])).toEqual([
      ['run_failed', 'raised'],
      ['zero_rows', 'raised'],
      ['failed_rows over 5%', 'resolved'],
    ]);
    const ops = listing.targets.find((t) => t.target === 'ops')!;
    expect(ops).toMatchObject({ type: 'webhook', pending: 0, failed: 0, last_failure: null });
    expect(ops.delivered).toBeGreaterThanOrEqual(15);
    expect(listing.targets.find((t) => t.target === 'slack')).toMatchObject({
      type: 'slack',
      delivered: 1,
      pending: 0,
      last_failure: null,
    });
    const human = await cli('alerts');
    expect(human.stdout).toMatch(/Open \(2\):/);
    expect(human.stdout).toMatch(/● users: run_failed — raised/);
    expect(human.stdout).toMatch(/○ users: failed_rows over 5% — raised .* resolved/);
    expect(human.stdout).toMatch(/✓ slack \(slack, 127\.0\.0\.1:\d+\): 1 delivered/);
  });

  it('a target that keeps failing stays pending after the CLI gives up, and shows as failing', async () => {
    await duckdb(join(dir, 'warehouse.duckdb'), 'alter table users_gone rename to users');
    await duckdb(join(dir, 'warehouse.duckdb'), `insert into users values (99, 'back@example.com')`);
    ops.failNext(100, 503);
    process.env.SLUICE_NOTIFY_WAIT_MS = '0';
    try {
      const out = await cli('sync', 'run', 'users');
      expect(out.code).toBe(0);
      // run_failed and zero_rows resolve: one to Slack, one (with the run's events) to ops.
      expect(slack.requests.at(-1)!.body).toMatch(/resolved/);
      expect(out.stderr).toMatch(/notifications? not delivered yet; the next run or sluice serve retries/);
    } finally {
      process.env.SLUICE_NOTIFY_WAIT_MS = '9000';
    }
    const listing = await alerts();
    const target = listing.targets.find((t) => t.target === 'ops')!;
    expect(target.pending).toBe(3);
    expect(target.last_failure).toMatchObject({ status: 503 });
    expect(JSON.stringify(listing)).not.toContain('hooks/sluice');
    const human = await cli('alerts');
    expect(human.stdout).toMatch(
      /✗ ops \(webhook, 127\.0\.0\.1:\d+\): .* 3 pending .* failing, last at .*HTTP 503/,
    );

    // The next run delivers what was pending, under the ids it was first tried with.
    ops.failNext(0);
    const triedIds = new Set(
      ops.requests.filter((r) => r.status === 503).map((r) => r.headers['webhook-id']),
    );
    const before = ops.requests.length;
    await cli('sync', 'run', 'users');
    const delivered = ops.requests.slice(before).filter((r) => r.status === 204);
    const ids = delivered.map((r) => r.headers['webhook-id']);
    for (const id of triedIds) expect(ids).toContain(id);
    for (const request of delivered) expect(request.verified).toBe(true);
    expect((await alerts()).targets.find((t) => t.target === 'ops')).toMatchObject({
      pending: 0,
      last_failure: null,
    });
  }, 30_000);

  it('no secret is printed, sent or kept anywhere in the workspace', async () => {
    const secrets = [
      WRITE_KEY,
      Buffer.from(`${WRITE_KEY}:`).toString('base64'),
      OPS_SECRET,
      OPS_SECRET.slice('whsec_'.length),
      SLACK_TOKEN,
      'slackSecretPath77',
    ];
    const files: string[] = [];
    // sluice.yaml holds the write key (the user wrote it there); everything else Sluice wrote.
    for (const name of await readdir(dir, { recursive: true })) {
      if (name === 'sluice.yaml') continue;
      const path = join(dir, name);
      try {
        files.push((await readFile(path)).toString('latin1'));
      } catch {
        // a folder
      }
    }
    // The state was read: it holds the notifications' bodies.
    expect(files.some((text) => text.includes('alert.resolved'))).toBe(true);
    const sent = [...ops.requests, ...slack.requests].map((request) => request.body);
    for (const text of [...printed, ...sent, ...files]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
