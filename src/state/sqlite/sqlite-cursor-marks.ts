import type { CursorMark } from '../state-store.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/**
 * Event cursors' high-water marks (SPEC §3 "Event cursors"), one row per sync. The caller
 * (SqliteStateStore) owns transactions and error wrapping.
 */
export class SqliteCursorMarks {
  readonly #get: SqliteStatement;
  readonly #save: SqliteStatement;
  readonly #all: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare('SELECT column_name, mark FROM cursor_marks WHERE sync = ?');
    this.#save = db.prepare(
      `INSERT INTO cursor_marks (sync, column_name, mark) VALUES (?, ?, ?)
       ON CONFLICT (sync) DO UPDATE SET column_name = excluded.column_name, mark = excluded.mark`,
    );
    this.#all = db.prepare('SELECT sync, column_name, mark FROM cursor_marks ORDER BY sync');
  }

  /** See DeliveryLedger.cursorMark. */
  get(sync: string): CursorMark | null {
    const row = this.#get.get(sync) as { column_name: string; mark: string } | undefined;
    return row === undefined ? null : { column: row.column_name, mark: row.mark };
  }

  /** See DeliveryLedger.saveCursorMark. */
  save(sync: string, mark: CursorMark): void {
    this.#save.run(sync, mark.column, mark.mark);
  }

  /** Every sync's mark, for `sluice state migrate`. */
  all(): (CursorMark & { sync: string })[] {
    return (this.#all.all() as { sync: string; column_name: string; mark: string }[]).map((row) => ({
      sync: row.sync,
      column: row.column_name,
      mark: row.mark,
    }));
  }
}
