import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredNotification } from '../state/state-store.js';
import type { NotificationEvent } from './notification-events.js';
import { Notifier, newNotificationId } from './notifier.js';
import { documentOf, finishedRun, openTestState, type TestState, testWorkspace } from './observe-kit.case.js';

const BASE_URL = 'http://127.0.0.1:9';
let t: TestState;

beforeEach(async () => {
  t = await openTestState();
});

afterEach(async () => {
  await t.close();
});

/**
 * The notifications queued since the last call, by type and target (claimed far in the future, so
 * each is answered once; ids are random, so the store's order within one time is not theirs).
 */
async function queued(): Promise<StoredNotification[]> {
  const claimed = await t.state.notifications.claimDue('2100-01-01T00:00:00.000Z', 1000, 1000);
  const order = (n: StoredNotification) => `${n.type === 'run.started' ? 0 : 1} ${n.type} ${n.target}`;
  return claimed.sort((a, b) => order(a).localeCompare(order(b)));
}

function event(notification: StoredNotification): NotificationEvent {
  return JSON.parse(notification.body) as NotificationEvent;
}

describe('lifecycle events', () => {
  it('queues the events webhooks: lists, to each of its targets, carrying the run document', async () => {
    const workspace = testWorkspace(BASE_URL, [
      'webhooks: { notify: [ops, team], events: [run.started, run.failed] }',
    ]);
    const notifier = new Notifier({ state: t.state, workspace });
    const ok = await finishedRun(t.state, { counts: { extracted: 3 } });
    await notifier.runStarted(ok, documentOf(ok));
    expect(await notifier.runFinished(ok, documentOf(ok))).toEqual([]);
    const failed = await finishedRun(t.state, { status: 'failed' });
    await notifier.runFinished(failed, documentOf(failed));

    const all = await queued();
    expect(all.map((n) => [n.target, n.type])).toEqual([
      ['ops', 'run.started'],
      ['team', 'run.started'],
      ['ops', 'run.failed'],
      ['team', 'run.failed'],
    ]);
    expect(event(all[0]!)).toEqual({ type: 'run.started', timestamp: ok.startedAt, data: documentOf(ok) });
    expect(event(all[2]!)).toEqual({
      type: 'run.failed',
      timestamp: failed.finishedAt,
      data: documentOf(failed),
    });
    // Each target's copy is its own notification, with its own webhook-id.
    expect(new Set(all.map((n) => n.id)).size).toBe(4);
    for (const n of all) expect(n.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });

  it('queues nothing without webhooks:, and nothing at all for dry runs', async () => {
    const withAlerts = testWorkspace(BASE_URL, [
      'webhooks: { notify: [ops], events: [run.started, run.completed] }',
      'alerts: [{ when: zero_rows, notify: [ops] }]',
    ]);
    const dry = await finishedRun(t.state, { dryRun: true });
    const notifier = new Notifier({ state: t.state, workspace: withAlerts });
    await notifier.runStarted(dry, documentOf(dry));
    expect(await notifier.runFinished(dry, documentOf(dry))).toEqual([]);
    const silent = new Notifier({ state: t.state, workspace: testWorkspace(BASE_URL, []) });
    const run = await finishedRun(t.state);
    await silent.runStarted(run, documentOf(run));
    await silent.runFinished(run, documentOf(run));
    expect(await queued()).toEqual([]);
    expect((await t.state.alerts.list({ limit: 10 })).items).toEqual([]);
  });
});

describe('alerts', () => {
  const workspace = () =>
    testWorkspace(
      BASE_URL,
      [
        'alerts:',
        '  - { when: failed_rows, over: 5%, notify: [ops] }',
        '  - { when: run_failed, notify: [team] }',
        'webhooks: { notify: [team], events: [alert.raised] }',
      ],
      ['    alerts: [{ when: zero_rows, notify: [ops, team] }]'],
    );

  it('raises an alert once when its condition starts holding and resolves it once when it stops', async () => {
    let clock = Date.parse('2026-12-06T12:00:00.000Z');
    const notifier = new Notifier({ state: t.state, workspace: workspace(), now: () => new Date(clock) });
    const failing = { extracted: 100, planned: 100, succeeded: 88, failed: 12 };

    const first = await finishedRun(t.state, { counts: failing });
    const raised = await notifier.runFinished(first, documentOf(first));
    expect(raised).toEqual([
      expect.objectContaining({
        sync: 'users',
        rule: 'failed_rows over 5%',
        kind: 'failed_rows',
        state: 'raised',
        raisedRunId: first.runId,
        figures: { failed: 12, planned: 100, ratio: 0.12, over: 0.05 },
      }),
    ]);
    // The raise goes to the rule's target, and to webhooks: targets since alert.raised is listed.
    const raisedNotes = await queued();
    expect(raisedNotes.map((n) => [n.target, n.type])).toEqual([
      ['ops', 'alert.raised'],
      ['team', 'alert.raised'],
    ]);
    expect(event(raisedNotes[0]!)).toEqual({
      type: 'alert.raised',
      timestamp: '2026-12-06T12:00:00.000Z',
      data: {
        sync: 'users',
        rule: 'failed_rows over 5%',
        kind: 'failed_rows',
        state: 'raised',
        figures: { failed: 12, planned: 100, ratio: 0.12, over: 0.05 },
        run_id: first.runId,
        raised_run_id: first.runId,
        raised_at: '2026-12-06T12:00:00.000Z',
      },
    });

    // Still failing: nothing changes, nothing is queued.
    clock += 60_000;
    const second = await finishedRun(t.state, { counts: { ...failing, failed: 30, succeeded: 70 } });
    expect(await notifier.runFinished(second, documentOf(second))).toEqual([]);
    expect(await queued()).toEqual([]);

    // A failed run says nothing about rows: the alert stays raised; run_failed is raised instead.
    clock += 60_000;
    const broken = await finishedRun(t.state, { status: 'failed' });
    expect((await notifier.runFinished(broken, documentOf(broken))).map((a) => [a.rule, a.state])).toEqual([
      ['run_failed', 'raised'],
    ]);
    expect((await queued()).map((n) => [n.target, n.type])).toEqual([['team', 'alert.raised']]);

    // Healthy again: both resolve, each once; alert.resolved is not among webhooks: events.
    clock += 60_000;
    const healthy = await finishedRun(t.state, { counts: { extracted: 100, planned: 100, succeeded: 100 } });
    const resolved = await notifier.runFinished(healthy, documentOf(healthy));
    expect(resolved.map((a) => [a.rule, a.state, a.resolvedRunId])).toEqual([
      ['failed_rows over 5%', 'resolved', healthy.runId],
      ['run_failed', 'resolved', healthy.runId],
    ]);
    const resolvedNotes = await queued();
    expect(resolvedNotes.map((n) => [n.target, n.type])).toEqual([
      ['ops', 'alert.resolved'],
      ['team', 'alert.resolved'],
    ]);
    expect(event(resolvedNotes[0]!).data).toEqual({
      sync: 'users',
      rule: 'failed_rows over 5%',
      kind: 'failed_rows',
      state: 'resolved',
      figures: { failed: 0, planned: 100, ratio: 0, over: 0.05 },
      run_id: healthy.runId,
      raised_run_id: first.runId,
      raised_at: '2026-12-06T12:00:00.000Z',
    });
    clock += 60_000;
    const again = await finishedRun(t.state, { counts: { extracted: 100, planned: 100, succeeded: 100 } });
    expect(await notifier.runFinished(again, documentOf(again))).toEqual([]);
    expect(await queued()).toEqual([]);
    expect((await t.state.alerts.list({ sync: 'users', limit: 10 })).items.map((a) => a.state)).toEqual([
      'resolved',
      'resolved',
    ]);
  });

  it("sends a sync's own rule to each of its targets once, even when webhooks: names one too", async () => {
    const notifier = new Notifier({ state: t.state, workspace: workspace() });
    const empty = await finishedRun(t.state);
    expect((await notifier.runFinished(empty, documentOf(empty))).map((a) => a.rule)).toEqual(['zero_rows']);
    expect((await queued()).map((n) => [n.target, n.type])).toEqual([
      ['ops', 'alert.raised'],
      ['team', 'alert.raised'],
    ]);
  });

  it('compares row counts with the previous completed real runs in the history', async () => {
    const notifier = new Notifier({
      state: t.state,
      workspace: testWorkspace(BASE_URL, [
        'alerts: [{ when: row_count_change, over: 50%, last_runs: 2, notify: [ops] }]',
      ]),
    });
    // Older than the last two, a dry run, a failed run and another sync's run: none of them count.
    await finishedRun(t.state, { counts: { extracted: 10_000 } });
    await finishedRun(t.state, { counts: { extracted: 100 } });
    await finishedRun(t.state, { counts: { extracted: 300 } });
    await finishedRun(t.state, { counts: { extracted: 1 }, dryRun: true });
    await finishedRun(t.state, { counts: { extracted: 1 }, status: 'failed' });
    await finishedRun(t.state, { counts: { extracted: 1 }, sync: 'other' });
    const run = await finishedRun(t.state, { counts: { extracted: 99 } });
    const [alert] = await notifier.runFinished(run, documentOf(run));
    expect(alert).toMatchObject({
      rule: 'row_count_change over 50% of the last 2 runs',
      state: 'raised',
      figures: { extracted: 99, mean: 200, runs: 2, over: 0.5, change: 0.505 },
    });
  });

  it('makes notification ids of msg_ and random base64url', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newNotificationId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });
});
