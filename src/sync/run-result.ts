import type { ChangeReason, RunCounts } from '../core/run.js';

/** A planned row shown by a dry run: why it would be sent, and exactly what would be sent. */
export interface DryRunSample {
  key: string;
  reason: ChangeReason;
  changed_fields: string[];
  message: unknown;
}

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
  error: { code: string; message: string } | null;
  samples?: DryRunSample[];
}
