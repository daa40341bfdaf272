// A newcomer's path: `sluice init` writes a workspace that checks clean and syncs all three Segment
// objects; `sluice demo` (what `npm start` runs) does the same end to end on its own.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { tempWorkspace } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
});

describe('sluice init', () => {
  it('writes a workspace that passes check and delivers users, groups and events', async () => {
    const ws = join(dir, 'ws');
    const init = await sluice('init', ws, '--endpoint', receiver.url);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('sluice.yaml');
    expect((await sluice('init', ws)).code).toBe(2);

    const check = await sluice('-w', ws, 'check', '--json');
    expect(check.code).toBe(0);
    const report = check.json<{ ok: boolean; checks: { kind: string; ok: boolean; notes: string[] }[] }>();
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.kind)).toEqual(
      expect.arrayContaining(['state', 'source', 'destination', 'sync']),
    );
    // check sends an empty batch, which reaches no destination (Segment discards it as empty_batch).
    expect(receiver.messages()).toHaveLength(0);
    expect(receiver.stats().discardsByReason).toEqual({ empty_batch: 1 });
    receiver.reset();

    const run = await sluice(
      '-w',
      ws,
      'sync',
      'run',
      'users-to-segment',
      'accounts-to-segment',
      'events-to-segment',
      '--json',
    );
    expect(run.code).toBe(0);
    const results = run.json<SyncRunResult[]>();
    expect(results.map((r) => [r.sync, r.status, r.counts.succeeded])).toEqual([
      ['users-to-segment', 'completed', 500],
      ['accounts-to-segment', 'completed', 50],
      ['events-to-segment', 'completed', 2000],
    ]);
    expect(receiver.stats()).toMatchObject({ accepted: 2550, discarded: 0 });

    const list = await sluice('-w', ws, 'sync', 'list', '--json');
    const syncs = list.json<{ name: string; last_run: { status: string } | null }[]>();
    expect(syncs.every((s) => s.last_run?.status === 'completed')).toBe(true);
  });
});

describe('sluice demo', () => {
  it('builds a fresh workspace, delivers every demo sync and shows a rerun sends nothing', async () => {
    const demo = await sluice('demo', join(dir, 'demo'));
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/accepted 2,550 messages/);
    expect(demo.stdout).toMatch(/500 unchanged, 0 sent/);
    // Fresh every time: a second demo starts over instead of finding nothing to send.
    const again = await sluice('demo', join(dir, 'demo'));
    expect(again.stdout).toMatch(/accepted 2,550 messages/);
  });
});
