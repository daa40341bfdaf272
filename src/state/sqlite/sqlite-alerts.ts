import type { AlertKind } from '../../core/workspace.js';
import { notificationsOfChange } from '../alert-notifications.js';
import type { AlertEvaluation, Page, StoredAlert } from '../state-store.js';
import { alertCursor, checkLimit, newAlertId, parseAlertCursor } from '../store-listing.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';
import type { SqliteNotifications } from './sqlite-notifications.js';

type AlertRow = [
  id: string,
  sync: string,
  rule: string,
  kind: AlertKind,
  raisedAt: string,
  raisedRunId: string,
  figures: string,
  resolvedAt: string | null,
  resolvedRunId: string | null,
  resolvedFigures: string | null,
];

const columns =
  'id, sync, rule, kind, raised_at, raised_run_id, figures, resolved_at, resolved_run_id, resolved_figures';

/**
 * The alert book in the `alerts` table (state-store.ts AlertBook). A raise is an INSERT that the
 * partial unique index `alerts_open` (one open alert per sync and rule) turns into nothing when one
 * is open, a resolve an UPDATE of the open one only: each changes a row at most once, and the
 * caller's BEGIN IMMEDIATE transaction queues the change's notifications with it. The caller
 * (SqliteStateStore) owns transactions and errors.
 */
export class SqliteAlerts {
  readonly #notifications: SqliteNotifications;
  readonly #raise: SqliteStatement;
  readonly #resolve: SqliteStatement;
  readonly #list: SqliteStatement;
  readonly #insert: SqliteStatement;
  readonly #all: SqliteStatement;

  constructor(db: SqliteDatabase, notifications: SqliteNotifications) {
    this.#notifications = notifications;
    this.#raise = db
      .prepare(
        `INSERT INTO alerts (id, sync, rule, kind, raised_at, raised_run_id, figures) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sync, rule) WHERE resolved_at IS NULL DO NOTHING RETURNING ${columns}`,
      )
      .raw();
    this.#resolve = db
      .prepare(
        `UPDATE alerts SET resolved_at = ?, resolved_run_id = ?, resolved_figures = ?
         WHERE sync = ? AND rule = ? AND resolved_at IS NULL RETURNING ${columns}`,
      )
      .raw();
    // Open ones first, then newest first: ids sort by raise time. The cursor (open, id) resumes
    // after the page's last alert.
    this.#list = db
      .prepare(
        `SELECT ${columns} FROM alerts
         WHERE (@sync IS NULL OR sync = @sync)
           AND (@state IS NULL OR (resolved_at IS NULL) = (@state = 'raised'))
           AND (@open IS NULL OR (resolved_at IS NULL) < @open OR ((resolved_at IS NULL) = @open AND id < @id))
         ORDER BY resolved_at IS NULL DESC, id DESC LIMIT @limit`,
      )
      .raw();
    this.#insert = db.prepare(`INSERT INTO alerts (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#all = db.prepare(`SELECT ${columns} FROM alerts ORDER BY id`).raw();
  }

  /** Applies evaluations (inside the caller's write transaction); answers the alerts that changed. */
  apply(evaluations: readonly AlertEvaluation[], at: string): StoredAlert[] {
    const changed: StoredAlert[] = [];
    for (const evaluation of evaluations) {
      const { sync, rule, runId } = evaluation;
      const figures = JSON.stringify(evaluation.figures);
      const row = (
        evaluation.holds
          ? this.#raise.get(newAlertId(at), sync, rule, evaluation.kind, at, runId, figures)
          : this.#resolve.get(at, runId, figures, sync, rule)
      ) as AlertRow | undefined;
      if (row === undefined) continue;
      this.#notifications.enqueue(
        notificationsOfChange(evaluation, evaluation.holds ? 'raised' : 'resolved'),
      );
      changed.push(toAlert(row));
    }
    return changed;
  }

  list(query: {
    sync?: string;
    state?: 'raised' | 'resolved';
    limit: number;
    cursor?: string;
  }): Page<StoredAlert> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? null : parseAlertCursor(query.cursor);
    const rows = this.#list.all({
      sync: query.sync ?? null,
      state: query.state ?? null,
      open: after === null ? null : after.open ? 1 : 0,
      id: after?.id ?? null,
      limit: limit + 1,
    }) as AlertRow[];
    const items = rows.slice(0, limit).map(toAlert);
    const last = items.at(-1);
    return {
      items,
      next: rows.length > limit && last !== undefined ? alertCursor(last.state === 'raised', last.id) : null,
    };
  }

  /** Every alert, oldest first: what a state transfer carries. */
  all(): StoredAlert[] {
    return (this.#all.all() as AlertRow[]).map(toAlert);
  }

  /** Adds transferred alerts as they were. */
  insert(alerts: readonly StoredAlert[]): void {
    for (const a of alerts) {
      this.#insert.run(
        a.id,
        a.sync,
        a.rule,
        a.kind,
        a.raisedAt,
        a.raisedRunId,
        JSON.stringify(a.figures),
        a.resolvedAt,
        a.resolvedRunId,
        a.resolvedFigures === null ? null : JSON.stringify(a.resolvedFigures),
      );
    }
  }
}

function toAlert(row: AlertRow): StoredAlert {
  const [id, sync, rule, kind, raisedAt, raisedRunId, figures, resolvedAt, resolvedRunId, resolvedFigures] =
    row;
  return {
    id,
    sync,
    rule,
    kind,
    state: resolvedAt === null ? 'raised' : 'resolved',
    raisedAt,
    raisedRunId,
    figures: JSON.parse(figures) as Record<string, number>,
    resolvedAt,
    resolvedRunId,
    resolvedFigures:
      resolvedFigures === null ? null : (JSON.parse(resolvedFigures) as Record<string, number>),
  };
}
