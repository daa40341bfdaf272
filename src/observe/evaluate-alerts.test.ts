import { describe, expect, it } from 'vitest';
import { emptyCounts, type RunCounts, type RunSummary } from '../core/run.js';
import type { AlertKind, AlertRule } from '../core/workspace.js';
import { alertRuleId } from '../workspace/parse-alerts.js';
import { evaluateAlert, evaluateAlerts, previousRunsNeeded } from './evaluate-alerts.js';

function rule(when: AlertKind, over?: number, lastRuns?: number): AlertRule {
  const shape = {
    when,
    ...(over === undefined ? {} : { over }),
    ...(lastRuns === undefined ? {} : { lastRuns }),
  };
  return { id: alertRuleId(shape), ...shape, notify: ['ops'], line: 1 };
}

let nextRun = 0;

/** A finished real run of sync "s" that took `ms`. */
function run(counts: Partial<RunCounts>, more: Partial<RunSummary> = {}, ms = 60_000): RunSummary {
  nextRun++;
  const startedAt = new Date(Date.UTC(2026, 11, 6, 12, 0, 0) + nextRun * 3_600_000).toISOString();
  return {
    runId: `r_${nextRun}`,
    sync: 's',
    status: 'completed',
    dryRun: false,
    fullResync: false,
    counts: { ...emptyCounts(), ...counts },
    startedAt,
    finishedAt: new Date(Date.parse(startedAt) + ms).toISOString(),
    error: null,
    ...more,
  };
}

const failedRun = (counts: Partial<RunCounts> = {}, ms = 1000) =>
  run(counts, { status: 'failed', error: { code: 'source_error', message: 'connection refused' } }, ms);

describe('run_failed', () => {
  it('holds when the run failed, and not when it completed', () => {
    expect(evaluateAlert(rule('run_failed'), failedRun(), [])).toEqual({ holds: true, figures: {} });
    expect(evaluateAlert(rule('run_failed'), run({ extracted: 3 }), [])).toEqual({
      holds: false,
      figures: {},
    });
  });
});

describe('failed_rows', () => {
  const fivePercent = rule('failed_rows', 0.05);

  it('is rows not delivered (failed and abandoned) over planned, above the threshold', () => {
    expect(
      evaluateAlert(fivePercent, run({ planned: 100, failed: 10, abandoned: 2, succeeded: 88 }), []),
    ).toEqual({
      holds: true,
      figures: { failed: 12, planned: 100, ratio: 0.12, over: 0.05 },
    });
    expect(evaluateAlert(fivePercent, run({ planned: 100, failed: 4, succeeded: 96 }), [])).toEqual({
      holds: false,
      figures: { failed: 4, planned: 100, ratio: 0.04, over: 0.05 },
    });
  });

  it('is over, not at, the threshold', () => {
    expect(evaluateAlert(fivePercent, run({ planned: 100, failed: 5 }), [])?.holds).toBe(false);
    expect(evaluateAlert(fivePercent, run({ planned: 100, failed: 6 }), [])?.holds).toBe(true);
    expect(evaluateAlert(fivePercent, run({ planned: 20, abandoned: 1 }), [])?.holds).toBe(false);
  });

  it('does not hold when nothing was planned', () => {
    expect(evaluateAlert(fivePercent, run({ extracted: 50, unchanged: 50 }), [])).toEqual({
      holds: false,
      figures: { failed: 0, planned: 0, over: 0.05 },
    });
  });
});

describe('invalid_rows', () => {
  const tenPercent = rule('invalid_rows', 0.1);

  it('is invalid over extracted, above the threshold', () => {
    expect(evaluateAlert(tenPercent, run({ extracted: 40, invalid: 5 }), [])).toEqual({
      holds: true,
      figures: { invalid: 5, extracted: 40, ratio: 0.125, over: 0.1 },
    });
    expect(evaluateAlert(tenPercent, run({ extracted: 40, invalid: 4 }), [])?.holds).toBe(false);
  });

  it('does not hold when nothing was extracted', () => {
    expect(evaluateAlert(tenPercent, run({}), [])).toEqual({
      holds: false,
      figures: { invalid: 0, extracted: 0, over: 0.1 },
    });
  });
});

describe('runtime', () => {
  const thirtyMinutes = rule('runtime', 1_800_000);

  it('is the time from start to finish, above the threshold', () => {
    expect(evaluateAlert(thirtyMinutes, run({}, {}, 1_800_001), [])).toEqual({
      holds: true,
      figures: { runtime_ms: 1_800_001, over_ms: 1_800_000 },
    });
    expect(evaluateAlert(thirtyMinutes, run({}, {}, 1_800_000), [])?.holds).toBe(false);
  });

  it('is raised by a failed run that took too long, but not resolved by one that failed quickly', () => {
    expect(evaluateAlert(thirtyMinutes, failedRun({}, 2_000_000), [])?.holds).toBe(true);
    expect(evaluateAlert(thirtyMinutes, failedRun({}, 1_000), [])).toBeNull();
  });
});

describe('zero_rows', () => {
  it('holds when a completed run extracted nothing', () => {
    expect(evaluateAlert(rule('zero_rows'), run({}), [])).toEqual({ holds: true, figures: { extracted: 0 } });
    expect(evaluateAlert(rule('zero_rows'), run({ extracted: 1, unchanged: 1 }), [])).toEqual({
      holds: false,
      figures: { extracted: 1 },
    });
  });
});

describe('row_count_change', () => {
  const half = rule('row_count_change', 0.5, 3);

  it('compares extracted with the mean of the newest last_runs completed real runs', () => {
    // Newest first: the mean is over 100, 120 and 80 (= 100); the run of 10 is older than 3 runs.
    const previous = [
      run({ extracted: 100 }),
      run({ extracted: 120 }),
      run({ extracted: 80 }),
      run({ extracted: 10 }),
    ];
    expect(evaluateAlert(half, run({ extracted: 151 }), previous)).toEqual({
      holds: true,
      figures: { extracted: 151, mean: 100, runs: 3, over: 0.5, change: 0.51 },
    });
    expect(evaluateAlert(half, run({ extracted: 49 }), previous)?.holds).toBe(true);
    expect(evaluateAlert(half, run({ extracted: 150 }), previous)?.holds).toBe(false);
    expect(evaluateAlert(half, run({ extracted: 50 }), previous)?.holds).toBe(false);
  });

  it('leaves out dry runs, runs that did not complete and the run itself', () => {
    const current = run({ extracted: 300 });
    const previous = [
      current,
      run({ extracted: 1 }, { dryRun: true }),
      failedRun({ extracted: 1 }),
      run({ extracted: 1 }, { status: 'running', finishedAt: null }),
      run({ extracted: 200 }),
    ];
    expect(evaluateAlert(half, current, previous)).toEqual({
      holds: false,
      figures: { extracted: 300, mean: 200, runs: 1, over: 0.5, change: 0.5 },
    });
  });

  it('allows a change above 100%', () => {
    const triple = rule('row_count_change', 1.5, 5);
    expect(evaluateAlert(triple, run({ extracted: 251 }), [run({ extracted: 100 })])?.holds).toBe(true);
    expect(evaluateAlert(triple, run({ extracted: 250 }), [run({ extracted: 100 })])?.holds).toBe(false);
  });

  it('does not hold without a previous run, or when the previous runs extracted nothing', () => {
    expect(evaluateAlert(half, run({ extracted: 10 }), [])).toEqual({
      holds: false,
      figures: { extracted: 10, mean: 0, runs: 0, over: 0.5 },
    });
    expect(evaluateAlert(half, run({ extracted: 10 }), [run({}), run({})])).toEqual({
      holds: false,
      figures: { extracted: 10, mean: 0, runs: 2, over: 0.5 },
    });
  });
});

describe('a failed run', () => {
  it('gives no verdict on the row-based rules, so their alerts stay as they are', () => {
    const failed = failedRun({ extracted: 0, planned: 10, failed: 10 });
    for (const r of [
      rule('failed_rows', 0.05),
      rule('invalid_rows', 0.05),
      rule('zero_rows'),
      rule('row_count_change', 0.5, 5),
    ]) {
      expect(evaluateAlert(r, failed, [run({ extracted: 100 })])).toBeNull();
    }
  });
});

describe('evaluateAlerts', () => {
  const rules = [
    rule('run_failed'),
    rule('failed_rows', 0.05),
    rule('runtime', 60_000),
    rule('zero_rows'),
    rule('row_count_change', 0.5, 5),
  ];

  it('judges every rule the run can judge, in order, naming the rule', () => {
    const findings = evaluateAlerts(rules, run({ extracted: 10, planned: 10, failed: 1 }, {}, 61_000), [
      run({ extracted: 10 }),
    ]);
    expect(findings.map((f) => [f.rule.id, f.holds])).toEqual([
      ['run_failed', false],
      ['failed_rows over 5%', true],
      ['runtime over 1m', true],
      ['zero_rows', false],
      ['row_count_change over 50% of the last 5 runs', false],
    ]);
  });

  it('skips what a failed run cannot judge', () => {
    expect(evaluateAlerts(rules, failedRun({}, 1000), []).map((f) => [f.rule.id, f.holds])).toEqual([
      ['run_failed', true],
    ]);
  });

  it('judges nothing after a dry run or an unfinished run', () => {
    expect(evaluateAlerts(rules, run({}, { dryRun: true }), [])).toEqual([]);
    expect(evaluateAlerts(rules, run({}, { status: 'running', finishedAt: null }), [])).toEqual([]);
  });

  it('says how many previous runs the rules read', () => {
    expect(previousRunsNeeded(rules)).toBe(5);
    expect(previousRunsNeeded([rule('row_count_change', 0.5, 3), rule('row_count_change', 0.2, 12)])).toBe(
      12,
    );
    expect(previousRunsNeeded([rule('run_failed')])).toBe(0);
  });
});
