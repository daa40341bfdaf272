import type { ConfigProblem } from '../core/errors.js';
import type { ChangeReason, RunCounts, RunWriteback } from '../core/run.js';

/** A planned row shown by a dry run: why it would be sent, and exactly what would be sent. */
export interface DryRunSample {
  key: string;
  reason: ChangeReason;
  changed_fields: string[];
  message: unknown;
}

/** An invalid row shown by a dry run: which key, and why it would not be sent. */
export interface InvalidSample {
  key: string | null;
  reason: string;
  detail: string;
}

/**
 * What a run's warehouse writeback did (SPEC §7): the run history's `RunWriteback` as the run result
 * shows it (its fields are snake_case already), so the result and the stored run say the same.
 */
export type WritebackOutcome = RunWriteback;

/** The outcome of one sync run, printed by `sluice sync run --json` (SPEC §4). */
export interface SyncRunResult {
  run_id: string;
  sync: string;
  status: 'completed' | 'failed';
  dry_run: boolean;
  counts: RunCounts;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  /** `problems`: the located config problems that failed the run, when that is what failed it. */
  error: { code: string; message: string; problems?: ConfigProblem[] } | null;
  /** Dry runs only: planned rows as they would be sent, a sample. */
  samples?: DryRunSample[];
  /** Dry runs only: invalid rows with their reasons, a sample. */
  invalid_samples?: InvalidSample[];
  /** Dry runs only: how many more planned and invalid rows there are than the samples show. */
  not_shown?: { planned: number; invalid: number };
  /** Real runs of syncs with `writeback:` only: what the writeback did (added to SPEC §4's summary). */
  writeback?: WritebackOutcome;
}
