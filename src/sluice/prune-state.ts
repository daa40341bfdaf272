import { SluiceError } from '../core/errors.js';
import type { WorkspaceParts } from './workspace-parts.js';

const DAY_MS = 86_400_000;

/** What a prune removed (`sluice prune --json`, `Sluice.prune`). */
export interface PruneDocument {
  /** Runs whose records were deleted. */
  runs: number;
  /** Records deleted. */
  records: number;
  /** Inspector exchanges deleted (of the same runs). */
  exchanges: number;
  /**
   * Bytes freed: what the file shrank by when reclaimed, otherwise the space the deleted records
   * took, now reused by later runs.
   */
  bytes_freed: number;
  /** Whether the state file was rewritten to shrink (asked with `reclaim`, and no run held a lock). */
  reclaimed: boolean;
  /** The retention applied: records of runs older than this many ms were deleted. */
  older_than_ms: number;
}

/** `Sluice.prune`: retention applied to the workspace's state. */
export async function pruneState(
  parts: WorkspaceParts,
  options: { reclaim?: boolean; ifDue?: boolean; now?: Date },
): Promise<PruneDocument | null> {
  const retention = parts.workspace.retention;
  if (retention === undefined) {
    if (options.ifDue) return null;
    throw new SluiceError(
      'usage',
      'sluice.yaml sets no retention, so nothing is old enough to prune: add retention: { runs: 30d } (any duration in s, m, h or d)',
    );
  }
  const now = options.now ?? new Date();
  // At most once per day (or per retention, when shorter) per state, whichever process asks first:
  // a sync every minute does not pay for it every minute.
  const interval = Math.min(DAY_MS, retention.runsMs);
  const state = await parts.state();
  const result = await state.prune({
    before: new Date(now.getTime() - retention.runsMs).toISOString(),
    reclaim: options.reclaim ?? false,
    ...(options.ifDue ? { unlessPrunedSince: new Date(now.getTime() - interval).toISOString() } : {}),
  });
  if (result === null) return null;
  return {
    runs: result.runs,
    records: result.records,
    exchanges: result.exchanges,
    bytes_freed: result.bytesFreed,
    reclaimed: result.reclaimed,
    older_than_ms: retention.runsMs,
  };
}
