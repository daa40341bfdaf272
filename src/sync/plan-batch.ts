import type { ChangeReason, RunCounts } from '../core/run.js';
import type { SeenEntry } from '../state/state-store.js';
import type { Detection } from './detect-changes.js';
import { type Decision, type DiffContext, decide } from './diff.js';
import type { KeyedBatch } from './key-batch.js';
import type { InvalidRow, MappedRow, RowMapper } from './map.js';

/** A row the diff decided to send, with that decision. */
export interface Planned {
  row: MappedRow;
  decision: Extract<Decision, { kind: 'planned' }>;
}

/** What to do with one batch: everything an executor needs, decided without I/O. */
export interface BatchPlan {
  /** Rows never sent, with their reasons: no usable key, a duplicate key, a mapping that failed. */
  invalid: InvalidRow[];
  /** How many rows need nothing sent (unchanged, abandoned, already delivered events, a baseline). */
  unchanged: number;
  /** Of those, how many the warehouse left out of the batch (Detection.unread): read there, not here. */
  unread: number;
  /**
   * Unchanged rows that were mapped again (the mapping or Sluice changed) into the same message:
   * their new fingerprints, so the next run can skip them without mapping.
   */
  refreshed: SeenEntry[];
  /** A baseline's rows (backfill: false): remembered as delivered, not sent. */
  seen: SeenEntry[];
  /** Rows to send, in source order. */
  planned: Planned[];
  /** How many of `planned` are new keys, and how many changed ones. */
  reasons: Record<ChangeReason, number>;
}

/**
 * The decision stage of a batch, pure: rows the detector found unchanged are counted without
 * mapping; the rest are mapped (mapping, the destination's validation, the change hash) and either
 * remembered (a baseline) or decided against their key states (diff.ts decide). One pass over the
 * rows, no state store: the executors carry the plan out.
 */
export function planBatch(
  batch: KeyedBatch,
  found: Detection,
  mapper: RowMapper,
  context: DiffContext,
): BatchPlan {
  const invalid = batch.invalid.slice();
  const refreshed: SeenEntry[] = [];
  const seen: SeenEntry[] = [];
  const planned: Planned[] = [];
  const reasons: Record<ChangeReason, number> = { new: 0, changed: 0 };
  const { unchanged: unchangedKeys, states } = found;
  const unread = found.unread ?? 0;
  let unchanged = unread;
  const rows = batch.rows;
  for (let i = 0; i < rows.length; i++) {
    const keyed = rows[i]!;
    if (unchangedKeys.has(keyed.key)) {
      unchanged++;
      continue;
    }
    const row = mapper.map(keyed, batch.sourceHashes[i]!);
    if (row.kind === 'invalid') {
      invalid.push(row);
      continue;
    }
    if (states === null) {
      // backfill: false — the first run remembers what exists without sending it (SPEC §1).
      unchanged++;
      seen.push({ key: row.key, hash: row.hash, sourceHash: row.sourceHash });
      continue;
    }
    const state = states.get(row.key);
    const decision = decide(row, state, context);
    if (decision.kind === 'unchanged') {
      unchanged++;
      // Mapped again and the same message: remember the new fingerprint.
      if (state?.deliveredHash === row.hash && state.deliveredSourceHash !== row.sourceHash) {
        refreshed.push({ key: row.key, hash: row.hash, sourceHash: row.sourceHash });
      }
      continue;
    }
    reasons[decision.reason]++;
    planned.push({ row, decision });
  }
  return { invalid, unchanged, unread, refreshed, seen, planned, reasons };
}

/** Adds a batch's plan to the run's counts (deliveries are counted when recorded, by the executor). */
export function countPlan(counts: RunCounts, plan: BatchPlan): void {
  // Rows the warehouse left out were read all the same, there (SPEC §4 `extracted`).
  counts.extracted += plan.unread;
  counts.invalid += plan.invalid.length;
  counts.unchanged += plan.unchanged;
  counts.planned += plan.planned.length;
  counts.new += plan.reasons.new;
  counts.changed += plan.reasons.changed;
}
