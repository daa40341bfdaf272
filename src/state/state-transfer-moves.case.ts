import { expect } from 'vitest';
import { emptyCounts } from '../core/run.js';
import type { AlertEvaluation, NewNotification, StateStore, StoredExchange } from './state-store.js';

/**
 * A state with what `sluice state migrate` must carry besides runs and keys, shared by the SQLite
 * and PostgreSQL transfer tests: inspector exchanges, a writeback outcome, alerts open and resolved,
 * and a notification waiting (which must not move).
 */

export function notificationAt(
  at: string,
  type: 'alert.raised' | 'alert.resolved' = 'alert.raised',
): NewNotification {
  return {
    id: `msg_${at.replace(/\D/g, '')}`,
    target: 'ops',
    type,
    body: JSON.stringify({ type, timestamp: at, data: {} }),
    createdAt: at,
  };
}

function exchange(n: number): StoredExchange {
  return {
    at: `2025-01-01T00:00:0${n}.000Z`,
    method: 'POST',
    url: 'https://api.segment.io/v1/batch',
    status: n === 1 ? 500 : 200,
    error: null,
    latencyMs: 10 + n,
    attempt: 1,
    requestHeaders: { authorization: '[secret]' },
    responseHeaders: {},
    requestBody: JSON.stringify({ batch: [{ messageId: `m-${n}`, traits: { name: 'Zoë\u0000' } }] }),
    requestBytes: 60,
    responseBody: '{}',
    responseBytes: 2,
    truncated: false,
    messageIds: [`m-${n}`],
  };
}

function evaluation(rule: string, runId: string, holds: boolean, at: string): AlertEvaluation {
  return {
    sync: 'users',
    rule,
    kind: rule === 'run_failed' ? 'run_failed' : 'zero_rows',
    holds,
    figures: { failed: holds ? 1 : 0 },
    runId,
    notifications: [notificationAt(at, holds ? 'alert.raised' : 'alert.resolved')],
  };
}

/** Fills `store`: two finished runs with records and exchanges, a writeback, two alerts; answers the run ids. */
export async function fillWithAlertsAndExchanges(store: StateStore): Promise<string[]> {
  const runIds: string[] = [];
  for (let run = 0; run < 2; run++) {
    const runId = await store.runs.start({
      sync: 'users',
      fullResync: false,
      startedAt: `2025-01-0${run + 1}T00:00:00.000Z`,
    });
    runIds.push(runId);
    await store.ledger.recordDeliveries(
      'users',
      runId,
      [0, 1].map((key) => ({
        key: `k${key}`,
        hash: `h${run}-${key}`,
        sourceHash: `s${run}-${key}`,
        generation: run + 1,
        messageId: `m${run}-${key}`,
        payload: JSON.stringify({ userId: `k${key}`, run }),
        reason: run === 0 ? 'new' : 'changed',
        status: 'succeeded',
        error: null,
      })),
    );
    await store.exchanges.record(runId, run === 0 ? [exchange(1), exchange(2), exchange(3)] : [exchange(4)]);
    await store.runs.finish(runId, {
      status: 'completed',
      counts: emptyCounts(),
      finishedAt: `2025-01-0${run + 1}T00:01:00.000Z`,
      error: null,
    });
  }
  await store.runs.recordWriteback(runIds[0]!, {
    source: 'warehouse',
    table: 'analytics.sluice_sync_log',
    rows: 2,
    error: null,
    at: '2025-01-01T00:01:01.000Z',
  });
  await store.alerts.apply(
    [evaluation('run_failed', runIds[0]!, true, '2025-01-01T00:01:00.000Z')],
    '2025-01-01T00:01:00.000Z',
  );
  await store.alerts.apply(
    [
      evaluation('run_failed', runIds[1]!, false, '2025-01-02T00:01:00.000Z'),
      evaluation('zero_rows', runIds[1]!, true, '2025-01-02T00:01:01.000Z'),
    ],
    '2025-01-02T00:01:00.000Z',
  );
  return runIds;
}

/** `into` holds what `from` was filled with, and no notification; its open alert is still the open one. */
export async function expectMoved(
  from: StateStore,
  into: StateStore,
  runIds: readonly string[],
): Promise<void> {
  const runs = (await into.runs.list({ limit: 10 })).items;
  expect(runs).toEqual((await from.runs.list({ limit: 10 })).items);
  expect(runs.find((run) => run.runId === runIds[0])?.writeback).toMatchObject({ rows: 2, error: null });
  for (const runId of runIds) {
    expect((await into.exchanges.list(runId, { limit: 10 })).items).toEqual(
      (await from.exchanges.list(runId, { limit: 10 })).items,
    );
  }
  expect((await into.exchanges.list(runIds[0]!, { limit: 10 })).items).toHaveLength(3);
  const alerts = (await into.alerts.list({ limit: 10 })).items;
  expect(alerts).toEqual((await from.alerts.list({ limit: 10 })).items);
  expect(alerts.map((alert) => [alert.rule, alert.state])).toEqual([
    ['zero_rows', 'raised'],
    ['run_failed', 'resolved'],
  ]);
  expect((await from.notifications.pending()).count).toBe(3);
  expect(await into.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
  // The open alert moved as open: holding again raises nothing, clearing resolves it.
  const at = '2025-01-03T00:00:00.000Z';
  expect(await into.alerts.apply([evaluation('zero_rows', 'r_next', true, at)], at)).toEqual([]);
  expect(await into.alerts.apply([evaluation('zero_rows', 'r_next', false, at)], at)).toEqual([
    expect.objectContaining({ id: alerts[0]!.id, state: 'resolved', resolvedRunId: 'r_next' }),
  ]);
}
