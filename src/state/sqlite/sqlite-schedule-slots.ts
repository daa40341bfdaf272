import type { ClaimedSlot, SlotOutcome } from '../state-store.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

type SlotRow = [
  sync: string,
  slot: string,
  outcome: SlotOutcome,
  runId: string | null,
  reason: string | null,
  at: string,
];

const columns = 'sync, slot, outcome, run_id, reason, claimed_at';

/**
 * Claimed schedule slots in the `schedule_slots` table (state-store.ts ScheduleSlots). A claim is one
 * INSERT OR IGNORE on the (sync, slot) primary key, so of the processes on the file that claim the
 * same slot exactly one changes a row. The caller (SqliteStateStore) owns transactions and errors.
 */
export class SqliteScheduleSlots {
  readonly #claim: SqliteStatement;
  readonly #settle: SqliteStatement;
  readonly #list: SqliteStatement;
  readonly #prune: SqliteStatement;
  readonly #latest: SqliteStatement;
  readonly #insert: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#claim = db.prepare(
      `INSERT INTO schedule_slots (${columns}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sync, slot) DO NOTHING`,
    );
    this.#settle = db.prepare(
      'UPDATE schedule_slots SET outcome = ?, run_id = ?, reason = ? WHERE sync = ? AND slot = ?',
    );
    // ISO-8601 UTC text sorts in time order: the primary key's range, walked backwards.
    this.#list = db
      .prepare(`SELECT ${columns} FROM schedule_slots WHERE sync = ? ORDER BY slot DESC LIMIT ?`)
      .raw();
    this.#prune = db.prepare(
      `DELETE FROM schedule_slots AS s WHERE claimed_at < ?
         AND slot < (SELECT max(slot) FROM schedule_slots l WHERE l.sync = s.sync)`,
    );
    this.#latest = db
      .prepare(
        `SELECT ${columns} FROM schedule_slots s
         WHERE slot = (SELECT max(slot) FROM schedule_slots l WHERE l.sync = s.sync) ORDER BY sync`,
      )
      .raw();
    this.#insert = db.prepare(
      `INSERT INTO schedule_slots (${columns}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (sync, slot) DO UPDATE SET outcome = excluded.outcome, run_id = excluded.run_id,
         reason = excluded.reason, claimed_at = excluded.claimed_at`,
    );
  }

  claim(entry: ClaimedSlot): boolean {
    return (
      this.#claim.run(entry.sync, entry.slot, entry.outcome, entry.runId, entry.reason, entry.at).changes ===
      1
    );
  }

  settle(
    sync: string,
    slot: string,
    result: { outcome: SlotOutcome; runId: string | null; reason: string | null },
  ): void {
    this.#settle.run(result.outcome, result.runId, result.reason, sync, slot);
  }

  list(sync: string, limit: number): ClaimedSlot[] {
    return (this.#list.all(sync, Math.max(0, Math.floor(limit))) as SlotRow[]).map(toSlot);
  }

  /** Deletes slots claimed before `before`, keeping each sync's latest; answers how many went. */
  prune(before: string): number {
    return this.#prune.run(before).changes;
  }

  /** Each sync's latest slot: what a state transfer carries. */
  latest(): ClaimedSlot[] {
    return (this.#latest.all() as SlotRow[]).map(toSlot);
  }

  /** Adds transferred slots (a slot already there takes the transferred one's outcome). */
  insert(slots: readonly ClaimedSlot[]): void {
    for (const s of slots) this.#insert.run(s.sync, s.slot, s.outcome, s.runId, s.reason, s.at);
  }
}

function toSlot([sync, slot, outcome, runId, reason, at]: SlotRow): ClaimedSlot {
  return { sync, slot, outcome, runId, reason, at };
}
