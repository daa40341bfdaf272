import type { RunSummary } from '../core/run.js';
import type { AlertRule } from '../core/workspace.js';
import { DEFAULT_LAST_RUNS } from '../workspace/parse-alerts.js';

/**
 * What a finished run says about one alert rule (SPEC §7): whether its condition holds, and the
 * figures it was judged on (plain numbers, e.g. `{ failed: 12, planned: 100, ratio: 0.12, over: 0.05 }`).
 */
export interface AlertVerdict {
  holds: boolean;
  figures: Record<string, number>;
}

/** A rule and what the run says about it; rules the run cannot judge have none (see evaluateAlert). */
export interface AlertFinding extends AlertVerdict {
  rule: AlertRule;
}

/**
 * Judges every rule of a sync after one of its runs: the finished real run, and the sync's previous
 * completed real runs, newest first (only row_count_change reads them). Rules the run cannot judge
 * are left out, so their alerts stay as they are. A dry run, or a run that has not finished, judges
 * nothing.
 */
export function evaluateAlerts(
  rules: readonly AlertRule[],
  run: RunSummary,
  previous: readonly RunSummary[],
): AlertFinding[] {
  const findings: AlertFinding[] = [];
  for (const rule of rules) {
    const verdict = evaluateAlert(rule, run, previous);
    if (verdict !== null) findings.push({ rule, ...verdict });
  }
  return findings;
}

/**
 * One rule against one finished run (SPEC §7), or null for "no verdict": the alert is neither
 * raised nor resolved by this run.
 *
 * - `run_failed` holds when the run failed.
 * - `failed_rows`: rows not delivered ÷ planned > over. Not delivered is `failed` plus `abandoned`
 *   (an abandoned row failed in this run too; the retry policy then gave up on it). Nothing planned
 *   does not hold.
 * - `invalid_rows`: invalid ÷ extracted > over; nothing extracted does not hold.
 * - `runtime`: finishedAt − startedAt > over (ms).
 * - `zero_rows`: the run extracted no rows.
 * - `row_count_change`: |extracted − mean| ÷ mean > over, the mean over the newest `lastRuns` of the
 *   previous completed real runs. With no previous run, or a mean of 0, there is nothing to compare
 *   with and it does not hold (an empty history is zero_rows' business, not a change).
 *
 * A failed run's counts are what it did before it stopped, not what its model holds, so it gives
 * no verdict on the row-based rules (failed_rows, invalid_rows, zero_rows, row_count_change):
 * a run that failed before extracting must neither raise zero_rows nor resolve row_count_change;
 * run_failed speaks for it. Its runtime is real, though: a failed run that took too long raises
 * `runtime`, but one that failed quickly proves nothing about speed and does not resolve it.
 */
export function evaluateAlert(
  rule: AlertRule,
  run: RunSummary,
  previous: readonly RunSummary[],
): AlertVerdict | null {
  if (run.dryRun || (run.status !== 'completed' && run.status !== 'failed')) return null;
  const failed = run.status === 'failed';
  const counts = run.counts;
  switch (rule.when) {
    case 'run_failed':
      return { holds: failed, figures: {} };
    case 'runtime': {
      if (run.finishedAt === null) return null;
      const runtimeMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
      if (!Number.isFinite(runtimeMs)) return null;
      const holds = runtimeMs > over(rule);
      if (failed && !holds) return null;
      return { holds, figures: { runtime_ms: runtimeMs, over_ms: over(rule) } };
    }
    case 'failed_rows': {
      if (failed) return null;
      const notDelivered = counts.failed + counts.abandoned;
      return ratioVerdict(
        { failed: notDelivered, planned: counts.planned },
        notDelivered,
        counts.planned,
        over(rule),
      );
    }
    case 'invalid_rows':
      if (failed) return null;
      return ratioVerdict(
        { invalid: counts.invalid, extracted: counts.extracted },
        counts.invalid,
        counts.extracted,
        over(rule),
      );
    case 'zero_rows':
      if (failed) return null;
      return { holds: counts.extracted === 0, figures: { extracted: counts.extracted } };
    case 'row_count_change': {
      if (failed) return null;
      const earlier = previous
        .filter((other) => other.runId !== run.runId && other.status === 'completed' && !other.dryRun)
        .slice(0, rule.lastRuns ?? DEFAULT_LAST_RUNS);
      const mean =
        earlier.length === 0
          ? 0
          : earlier.reduce((sum, other) => sum + other.counts.extracted, 0) / earlier.length;
      const figures = { extracted: counts.extracted, mean, runs: earlier.length, over: over(rule) };
      if (mean === 0) return { holds: false, figures };
      const change = Math.abs(counts.extracted - mean) / mean;
      return { holds: change > over(rule), figures: { ...figures, change } };
    }
  }
}

/**
 * How many previous completed real runs a sync's rules read: the largest `lastRuns` of its
 * row_count_change rules, 0 when it has none (no history need be fetched).
 */
export function previousRunsNeeded(rules: readonly AlertRule[]): number {
  let needed = 0;
  for (const rule of rules) {
    if (rule.when === 'row_count_change') needed = Math.max(needed, rule.lastRuns ?? DEFAULT_LAST_RUNS);
  }
  return needed;
}

function ratioVerdict(
  figures: Record<string, number>,
  part: number,
  whole: number,
  threshold: number,
): AlertVerdict {
  if (whole === 0) return { holds: false, figures: { ...figures, over: threshold } };
  const ratio = part / whole;
  return { holds: ratio > threshold, figures: { ...figures, ratio, over: threshold } };
}

/** The rule's threshold; the workspace parser never makes a thresholded rule without one. */
function over(rule: AlertRule): number {
  if (rule.over === undefined) throw new Error(`alert rule "${rule.id}" has no threshold`);
  return rule.over;
}
