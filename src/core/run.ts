/** Run history and per-row outcomes, as stored by the state store and printed by the CLI (SPEC §4). */

export interface RunCounts {
  extracted: number;
  invalid: number;
  unchanged: number;
  new: number;
  changed: number;
  planned: number;
  succeeded: number;
  /** Rows not delivered this run: they stay pending and the next run retries them. */
  failed: number;
  /** Rows the sync's `retry` policy gave up on in this run (SPEC §4). */
  abandoned: number;
  /** Keys delivered before and absent from the model now, found by this run (SPEC §3). */
  removed: number;
}

export function emptyCounts(): RunCounts {
  return {
    extracted: 0,
    invalid: 0,
    unchanged: 0,
    new: 0,
    changed: 0,
    planned: 0,
    succeeded: 0,
    failed: 0,
    abandoned: 0,
    removed: 0,
  };
}

/** A run waits (`queued`, asked for through a queue), goes, and ends `completed` or `failed`. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed';

/** Every run status, in the order a run goes through them. */
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed'];

export interface RunSummary {
  runId: string;
  sync: string;
  status: RunStatus;
  dryRun: boolean;
  fullResync: boolean;
  counts: RunCounts;
  /** When it started; for a queued run, when it was asked for. */
  startedAt: string;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
  /** When it was asked for, for a run that was queued; absent for a run started at once. */
  requestedAt?: string;
  /** When someone asked it to stop (SPEC §6 cancel); absent unless asked. */
  cancelRequestedAt?: string;
  /** A recorded dry run's samples (JSON of the dry-run report, SPEC §4); absent otherwise. */
  report?: string;
  /** What the run's warehouse writeback did (SPEC §7), once it was written; absent otherwise. */
  writeback?: RunWriteback;
  /** When retention deleted this run's per-row records (SPEC §7); absent while they are kept. */
  recordsPrunedAt?: string;
}

/**
 * What a run's warehouse writeback did (SPEC §7), for syncs with `writeback:`: the rows written, or
 * why none were. A failed writeback leaves the run's status as it was.
 */
export interface RunWriteback {
  source: string;
  table: string;
  /** Rows written: one per record of the run; 0 when it failed. */
  rows: number;
  error: { code: string; message: string } | null;
  /** When it was written (or failed). */
  at: string;
}

/** The fate of one planned or invalid row in a run. */
export type RecordStatus = 'succeeded' | 'failed' | 'invalid' | 'abandoned' | 'removed';

/** Every record status, in the order people read them. */
export const RECORD_STATUSES: readonly RecordStatus[] = [
  'succeeded',
  'failed',
  'abandoned',
  'invalid',
  'removed',
];

export interface RunRecord {
  runId: string;
  key: string | null;
  status: RecordStatus;
  /**
   * A reason code: new | changed for delivered rows, SPEC §3's codes for invalid ones, `absent` for
   * removed keys.
   */
  reason: string | null;
  /** A human sentence: why it is invalid, or the destination's answer when it failed. */
  message: string | null;
  messageId: string | null;
  /** The message as sent (JSON text), or the mapped payload for invalid rows when one exists. */
  payload: string | null;
}

/** Why a row is planned: never delivered, or different from what was delivered. */
export type ChangeReason = 'new' | 'changed';
