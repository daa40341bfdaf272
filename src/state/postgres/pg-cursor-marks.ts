import type { CursorMark } from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';
import { fromPgText, toPgText } from './pg-text.js';

/**
 * Event cursors' high-water marks (SPEC §3 "Event cursors"), one row per sync, as
 * sqlite-cursor-marks.ts keeps them. Names pass through pg-text.ts like every other stored text.
 * The caller (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgCursorMarks {
  /** See DeliveryLedger.cursorMark. */
  async get(db: PgQueryable, sync: string): Promise<CursorMark | null> {
    const { rows } = await db.query<{ column_name: string; mark: string }>(
      'SELECT column_name, mark FROM cursor_marks WHERE sync = $1',
      [toPgText(sync)],
    );
    const row = rows[0];
    return row === undefined ? null : { column: fromPgText(row.column_name), mark: row.mark };
  }

  /** See DeliveryLedger.saveCursorMark. */
  async save(db: PgQueryable, sync: string, mark: CursorMark): Promise<void> {
    await db.query(
      `INSERT INTO cursor_marks (sync, column_name, mark) VALUES ($1, $2, $3)
       ON CONFLICT (sync) DO UPDATE SET column_name = excluded.column_name, mark = excluded.mark`,
      [toPgText(sync), toPgText(mark.column), mark.mark],
    );
  }

  /** Every sync's mark, for `sluice state migrate`. */
  async all(db: PgQueryable): Promise<(CursorMark & { sync: string })[]> {
    const { rows } = await db.query<{ sync: string; column_name: string; mark: string }>(
      'SELECT sync, column_name, mark FROM cursor_marks ORDER BY sync',
    );
    return rows.map((row) => ({
      sync: fromPgText(row.sync),
      column: fromPgText(row.column_name),
      mark: row.mark,
    }));
  }
}
