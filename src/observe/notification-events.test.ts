import { describe, expect, it } from 'vitest';
import {
  type AlertEventData,
  alertEventBody,
  humanDuration,
  runEventBody,
  slackMessage,
} from './notification-events.js';

const AT = '2026-12-06T12:00:05.000Z';

/** A run's document as sluice/documents.ts makes it (SPEC §4). */
const DOCUMENT = {
  run_id: 'r_0abc',
  sync: 'users-to-segment',
  status: 'completed',
  dry_run: false,
  full_resync: false,
  counts: {
    extracted: 1200,
    invalid: 3,
    unchanged: 1000,
    new: 150,
    changed: 47,
    planned: 197,
    succeeded: 190,
    failed: 5,
    abandoned: 2,
    removed: 0,
  },
  started_at: '2026-12-06T12:00:00.000Z',
  finished_at: AT,
  duration_ms: 65_000,
  error: null,
};

function alert(over: Partial<AlertEventData> = {}): AlertEventData {
  return {
    sync: 'users-to-segment',
    rule: 'failed_rows over 5%',
    kind: 'failed_rows',
    state: 'raised',
    figures: { failed: 12, planned: 100, ratio: 0.12, over: 0.05 },
    run_id: 'r_0abc',
    raised_run_id: 'r_0abc',
    raised_at: AT,
    ...over,
  };
}

describe('bodies', () => {
  it('are {type, timestamp, data}: a run event carries the document as given', () => {
    expect(JSON.parse(runEventBody('run.completed', DOCUMENT, AT))).toEqual({
      type: 'run.completed',
      timestamp: AT,
      data: DOCUMENT,
    });
  });

  it("carry an alert's rule, state, figures and runs", () => {
    expect(JSON.parse(alertEventBody(alert(), AT))).toEqual({
      type: 'alert.raised',
      timestamp: AT,
      data: alert(),
    });
    expect(JSON.parse(alertEventBody(alert({ state: 'resolved' }), AT)).type).toBe('alert.resolved');
  });
});

describe('slackMessage', () => {
  const slack = (body: string) => slackMessage(body).text;

  it('says what a run did in one line', () => {
    expect(
      slack(runEventBody('run.started', { ...DOCUMENT, status: 'running', duration_ms: null }, AT)),
    ).toBe('▶️ users-to-segment: run r_0abc started');
    expect(slack(runEventBody('run.completed', DOCUMENT, AT))).toBe(
      '⚠️ users-to-segment: run r_0abc completed in 1m 5s — 1,200 rows read, 190 sent, 7 not delivered, 3 invalid',
    );
    const clean = { ...DOCUMENT, counts: { ...DOCUMENT.counts, failed: 0, abandoned: 0 } };
    expect(slack(runEventBody('run.completed', clean, AT))).toMatch(
      /^✅ users-to-segment: run r_0abc completed/,
    );
    const failed = {
      ...DOCUMENT,
      status: 'failed',
      duration_ms: 2_500,
      error: { code: 'source_error', message: 'relation "users" does not exist <here> & there' },
    };
    expect(slack(runEventBody('run.failed', failed, AT))).toBe(
      '❌ users-to-segment: run r_0abc failed in 3s — source_error: relation "users" does not exist &lt;here&gt; &amp; there',
    );
  });

  it.each<[Partial<AlertEventData>, string]>([
    [
      {},
      '🔴 users-to-segment: failed_rows over 5% raised — 12 of 100 planned rows failed (12%) in run r_0abc',
    ],
    [
      { state: 'resolved', figures: { failed: 1, planned: 300, ratio: 1 / 300, over: 0.05 } },
      '🟢 users-to-segment: failed_rows over 5% resolved — 1 of 300 planned rows failed (0.3%) in run r_0abc',
    ],
    [
      { state: 'resolved', figures: { failed: 0, planned: 0, over: 0.05 } },
      '🟢 users-to-segment: failed_rows over 5% resolved — no rows were planned in run r_0abc',
    ],
    [
      { rule: 'run_failed', kind: 'run_failed', figures: {} },
      '🔴 users-to-segment: run_failed raised — the run failed in run r_0abc',
    ],
    [
      {
        rule: 'invalid_rows over 10%',
        kind: 'invalid_rows',
        figures: { invalid: 5, extracted: 40, ratio: 0.125, over: 0.1 },
      },
      '🔴 users-to-segment: invalid_rows over 10% raised — 5 of 40 rows read were invalid (12.5%) in run r_0abc',
    ],
    [
      { rule: 'runtime over 30m', kind: 'runtime', figures: { runtime_ms: 1_862_000, over_ms: 1_800_000 } },
      '🔴 users-to-segment: runtime over 30m raised — the run took 31m 2s in run r_0abc',
    ],
    [
      { rule: 'zero_rows', kind: 'zero_rows', figures: { extracted: 0 } },
      '🔴 users-to-segment: zero_rows raised — the run read no rows in run r_0abc',
    ],
    [
      { rule: 'zero_rows', kind: 'zero_rows', state: 'resolved', figures: { extracted: 4 } },
      '🟢 users-to-segment: zero_rows resolved — the run read 4 rows in run r_0abc',
    ],
    [
      {
        rule: 'row_count_change over 50% of the last 5 runs',
        kind: 'row_count_change',
        figures: { extracted: 40, mean: 100, runs: 5, over: 0.5, change: 0.6 },
      },
      '🔴 users-to-segment: row_count_change over 50% of the last 5 runs raised — 40 rows read, 60% fewer than the mean of the last 5 runs (100) in run r_0abc',
    ],
    [
      {
        rule: 'row_count_change over 50% of the last 5 runs',
        kind: 'row_count_change',
        state: 'resolved',
        figures: { extracted: 10, mean: 0, runs: 1, over: 0.5 },
      },
      '🟢 users-to-segment: row_count_change over 50% of the last 5 runs resolved — 10 rows read; the last run read none in run r_0abc',
    ],
  ])('says what an alert found: %j', (change, line) => {
    expect(slack(alertEventBody(alert(change), AT))).toBe(line);
  });
});

describe('humanDuration', () => {
  it('gives the two largest units', () => {
    expect(humanDuration(850)).toBe('850ms');
    expect(humanDuration(65_000)).toBe('1m 5s');
    expect(humanDuration(3_600_000 + 120_000 + 7_000)).toBe('1h 2m');
    expect(humanDuration(86_400_000)).toBe('1d');
  });
});
