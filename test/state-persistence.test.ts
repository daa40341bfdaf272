// "State must persist" (SPEC §3) and retention (SPEC §7) as a user meets them: a workspace made by
// `sluice init`, run into the real receiver, its .sluice/ folder lost (a fresh CI checkout), run again.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let ws: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

async function run(sync: string, ...extra: string[]) {
  const result = await sluice('-w', ws, 'sync', 'run', sync, '--json', ...extra);
  expect(result.code).toBe(0);
  return { summary: result.json<SyncRunResult>(), stderr: result.stderr };
}

const loseState = () => rm(join(ws, '.sluice'), { recursive: true, force: true });
const warehouse = () => join(ws, 'warehouse.duckdb');

describe('a workspace whose state is lost', () => {
  let n = 0;
  beforeEach(async () => {
    ws = join(dir, `ws${++n}`);
    expect((await sluice('init', ws, '--endpoint', receiver.url)).code).toBe(0);
    receiver.reset();
  });

  it('gets a workspace_id from init, and a state only its owner can read', async () => {
    const yaml = await readFile(join(ws, 'sluice.yaml'), 'utf8');
    expect(yaml).toMatch(/^workspace_id: "[0-9a-f]{16}"$/m);
    expect((await stat(join(ws, '.sluice'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(ws, '.sluice', 'state.db'))).mode & 0o777).toBe(0o600);
    const other = join(dir, 'other');
    await sluice('init', other, '--endpoint', receiver.url);
    expect(await readFile(join(other, 'sluice.yaml'), 'utf8')).not.toContain(
      yaml.match(/^workspace_id: .*$/m)![0],
    );
  });

  it('resends its events under the same messageIds, which the receiver drops as copies, with a warning', async () => {
    const first = await run('events-to-segment');
    expect(first.summary.counts.succeeded).toBe(2000);
    // The state init made with this workspace is not a lost one: no warning.
    expect(first.stderr).toBe('');
    const ids = receiver.messages().map((m) => m.messageId);
    expect(new Set(ids).size).toBe(2000);

    await loseState();
    const again = await run('events-to-segment');
    expect(again.summary.counts.succeeded).toBe(2000);
    expect(receiver.stats()).toMatchObject({ accepted: 2000, duplicates: 2000 });
    const warning = again.stderr.trimEnd().split('\n');
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /^warning: sync "events-to-segment" starts on an empty state, but sluice\.yaml has a workspace_id/,
    );
    expect(warning[0]).toContain('README, "Your state must persist"');

    // Once the new state knows the sync, the warning is gone.
    expect((await run('events-to-segment')).stderr).toBe('');
  });

  it('resends users under new messageIds, so a value that changed back is not dropped as a copy', async () => {
    const planOf = (id: string) =>
      receiver
        .messages()
        .filter((m) => m.type === 'identify' && m.userId === id)
        .map((m) => (m.traits as { plan: string }).plan);
    await run('users-to-segment');
    await duckdb(warehouse(), "update users set plan = 'changed' where id = 1");
    expect((await run('users-to-segment')).summary.counts.changed).toBe(1);
    const original = planOf('1')[0]!;
    expect(planOf('1')).toEqual([original, 'changed']);

    await loseState();
    await duckdb(warehouse(), `update users set plan = '${original}' where id = 1`);
    const again = await run('users-to-segment');
    expect(again.summary.counts.new).toBe(500);
    expect(again.stderr).toMatch(/^warning: sync "users-to-segment" starts on an empty state/);
    expect(receiver.stats().duplicates).toBe(0);
    expect(planOf('1')).toEqual([original, 'changed', original]);
  });
});

describe('retention', () => {
  let yaml: string;
  /** Sets `retention:` (init wrote 30d); null removes it. */
  const setRetention = (runs: string | null) =>
    writeFile(
      join(ws, 'sluice.yaml'),
      yaml.replace(/^retention: .*$/m, runs === null ? '' : `retention: { runs: ${runs} }`),
    );
  // Runs older than a second become prunable only once the test says so: runs go under 30d, and
  // the test then sets 1s and waits past it, whatever the runs' own durations were.
  const ageEverything = async () => {
    await setRetention('1s');
    await new Promise((resolve) => setTimeout(resolve, 1100));
  };

  beforeAll(async () => {
    ws = join(dir, 'retention');
    expect((await sluice('init', ws, '--endpoint', receiver.url)).code).toBe(0);
    yaml = await readFile(join(ws, 'sluice.yaml'), 'utf8');
    expect(yaml).toMatch(/^retention: \{ runs: 30d \}$/m);
  });

  it('is refused by sluice prune when sluice.yaml sets none', async () => {
    await setRetention(null);
    const pruned = await sluice('-w', ws, 'prune');
    expect(pruned.code).toBe(2);
    expect(pruned.stderr).toContain('add retention: { runs: 30d }');
  });

  it("prunes old runs' records, keeps each key's last delivered message, and shrinks the state", async () => {
    await setRetention('30d');
    const first = await run('users-to-segment');
    expect(first.summary.counts.succeeded).toBe(500);
    // Every user again under new ids: the first run's messages are no key's last delivery any more.
    expect((await run('users-to-segment', '--full-resync')).summary.counts.succeeded).toBe(500);
    expect((await sluice('-w', ws, 'prune', '--json')).json()).toMatchObject({
      runs: 0,
      records: 0,
      exchanges: 0,
    });
    await ageEverything();

    const pruned = await sluice('-w', ws, 'prune', '--json');
    expect(pruned.code).toBe(0);
    const report = pruned.json<{ runs: number; records: number; exchanges: number; bytes_freed: number }>();
    expect(report).toMatchObject({ runs: 2, records: 1000 });
    // The inspector kept some of each run's exchanges with the destination; they go with the records.
    expect(report.exchanges).toBeGreaterThanOrEqual(2);
    expect(report.bytes_freed).toBeGreaterThan(0);
    expect((await sluice('-w', ws, 'inspect', first.summary.run_id, '--json')).json()).toEqual([]);
    const records = await sluice('-w', ws, 'records', first.summary.run_id, '--json');
    expect(records.json()).toEqual([]);
    expect((await sluice('-w', ws, 'records', first.summary.run_id)).stdout).toMatch(
      /^Run r_\w+ \(users-to-segment\) has no records any more: retention pruned them on \d{4}-/,
    );
    const runs = await sluice('-w', ws, 'runs', 'users-to-segment', '--json');
    expect(runs.json<{ run_id: string }[]>().map((r) => r.run_id)).toContain(first.summary.run_id);

    // The explanation of a change still has its base: the kept delivered message.
    await duckdb(warehouse(), "update users set plan = 'after-prune' where id = 2");
    const dry = await run('users-to-segment', '--dry-run');
    expect(dry.summary.samples).toEqual([
      expect.objectContaining({ key: '2', reason: 'changed', changed_fields: ['traits.plan'] }),
    ]);
    const human = await sluice('-w', ws, 'prune');
    expect(human.stdout).toBe('Nothing to prune: no run has records older than 1s.\n');
  });

  it('prunes at the end of a sync run, without being asked', async () => {
    await setRetention('30d');
    const accounts = await run('accounts-to-segment');
    expect(accounts.stderr).toBe('');
    await ageEverything();
    const next = await run('users-to-segment');
    expect(next.summary.counts.changed).toBe(1);
    // The accounts run, and this run too if it took over a second.
    expect(next.stderr).toMatch(/^Pruned the records of \d+ runs? older than 1s: /m);
    expect((await sluice('-w', ws, 'records', accounts.summary.run_id, '--json')).json()).toEqual([]);
  });

  it('keeps the line about undelivered rows last, after the line of the automatic prune', async () => {
    // A destination that refuses every message (HTTP 400): rows fail at once, without backoff.
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end('{}'));
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => refusing.once('listening', resolve));
    const { port } = refusing.address() as AddressInfo;
    try {
      await setRetention('30d');
      await run('accounts-to-segment');
      await ageEverything();
      const current = await readFile(join(ws, 'sluice.yaml'), 'utf8');
      await writeFile(join(ws, 'sluice.yaml'), current.replace(receiver.url, `http://127.0.0.1:${port}`));
      await duckdb(warehouse(), "update users set plan = 'refused' where id = 3");
      const failed = await sluice('-w', ws, 'sync', 'run', 'users-to-segment');
      expect(failed.code).toBe(1);
      const lines = failed.stderr.trimEnd().split('\n');
      expect(lines.some((line) => /^Pruned the records of \d+ runs? older than 1s/.test(line))).toBe(true);
      expect(lines.at(-1)).toMatch(/^✗ users-to-segment: 1 row could not be delivered/);
    } finally {
      refusing.close();
    }
  });
});
