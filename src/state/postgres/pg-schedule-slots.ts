import type { ClaimedSlot, SlotOutcome } from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';

interface SlotRow {
  sync: string;
  slot: string;
  outcome: SlotOutcome;
  run_id: string | null;
  reason: string | null;
  claimed_at: string;
}

const columns = 'sync, slot, outcome, run_id, reason, claimed_at';

/**
 * Claimed schedule slots in the `schedule_slots` table, with the SQLite store's semantics
 * (sqlite-schedule-slots.ts): a claim is one INSERT … ON CONFLICT DO NOTHING on the (sync, slot)
 * primary key, so of the processes on any machine claiming the same slot exactly one inserts it.
 */
export class PgScheduleSlots {
  async claim(db: PgQueryable, entry: ClaimedSlot): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO schedule_slots (${columns}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sync, slot) DO NOTHING`,
      [entry.sync, entry.slot, entry.outcome, entry.runId, entry.reason, entry.at],
    );
    return rowCount === 1;
  }

  async settle(
    db: PgQueryable,
    sync: string,
    slot: string,
    result: { outcome: SlotOutcome; runId: string | null; reason: string | null },
  ): Promise<void> {
    await db.query(
      'UPDATE schedule_slots SET outcome = $1, run_id = $2, reason = $3 WHERE sync = $4 AND slot = $5',
      [result.outcome, result.runId, result.reason, sync, slot],
    );
  }

  /** Latest first: ISO-8601 UTC text sorts in time order (the primary key's range, walked backwards). */
  async list(db: PgQueryable, sync: string, limit: number): Promise<ClaimedSlot[]> {
    const { rows } = await db.query<SlotRow>(
      `SELECT ${columns} FROM schedule_slots WHERE sync = $1 ORDER BY slot DESC LIMIT $2`,
      [sync, Math.max(0, Math.floor(limit))],
    );
    return rows.map(toSlot);
  }

  /** Deletes slots claimed before `before`, keeping each sync's latest. */
  async prune(db: PgQueryable, before: string): Promise<void> {
    await db.query(
      `DELETE FROM schedule_slots s WHERE claimed_at < $1
         AND slot < (SELECT max(slot) FROM schedule_slots l WHERE l.sync = s.sync)`,
      [before],
    );
  }

  /** Each sync's latest slot: what a state transfer carries. */
  async latest(db: PgQueryable): Promise<ClaimedSlot[]> {
    const { rows } = await db.query<SlotRow>(
      `SELECT DISTINCT ON (sync) ${columns} FROM schedule_slots ORDER BY sync, slot DESC`,
    );
    return rows.map(toSlot);
  }

  /** Adds transferred slots (a slot already there takes the transferred one's outcome). */
  async insert(db: PgQueryable, slots: readonly ClaimedSlot[]): Promise<void> {
    for (const s of slots) {
      await db.query(
        `INSERT INTO schedule_slots (${columns}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sync, slot) DO UPDATE SET outcome = excluded.outcome, run_id = excluded.run_id,
           reason = excluded.reason, claimed_at = excluded.claimed_at`,
        [s.sync, s.slot, s.outcome, s.runId, s.reason, s.at],
      );
    }
  }
}

function toSlot(row: SlotRow): ClaimedSlot {
  return {
    sync: row.sync,
    slot: row.slot,
    outcome: row.outcome,
    runId: row.run_id,
    reason: row.reason,
    at: row.claimed_at,
  };
}
