import type { AlertKind } from '../../core/workspace.js';
import { notificationsOfChange } from '../alert-notifications.js';
import type { AlertEvaluation, Page, StoredAlert } from '../state-store.js';
import { alertCursor, checkLimit, newAlertId, parseAlertCursor } from '../store-listing.js';
import type { PgNotifications } from './pg-notifications.js';
import type { PgQueryable } from './pg-pool.js';

interface AlertRow {
  id: string;
  sync: string;
  rule: string;
  kind: AlertKind;
  raised_at: string;
  raised_run_id: string;
  figures: Record<string, number>;
  resolved_at: string | null;
  resolved_run_id: string | null;
  resolved_figures: Record<string, number> | null;
}

const columns =
  'id, sync, rule, kind, raised_at, raised_run_id, figures, resolved_at, resolved_run_id, resolved_figures';

/**
 * The alert book in the `alerts` table, with the SQLite store's semantics (sqlite-alerts.ts). Under
 * concurrent applies each change happens once: a raise is an INSERT … ON CONFLICT DO NOTHING on the
 * partial unique index of open alerts (a second raiser waits for the first to commit, then inserts
 * nothing), a resolve an UPDATE of the open row only (a second resolver waits for the row, finds it
 * resolved and changes nothing). Only a row it changed queues its notifications, in the caller's
 * transaction. Evaluations are applied in (sync, rule) order, so two applies never wait on each
 * other in a cycle. The caller (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgAlerts {
  readonly #notifications: PgNotifications;

  constructor(notifications: PgNotifications) {
    this.#notifications = notifications;
  }

  /** Applies evaluations (inside the caller's transaction); answers the alerts that changed, in the evaluations' order. */
  async apply(db: PgQueryable, evaluations: readonly AlertEvaluation[], at: string): Promise<StoredAlert[]> {
    const order = evaluations
      .map((evaluation, index) => ({ evaluation, index }))
      .sort(
        (a, b) =>
          compare(a.evaluation.sync, b.evaluation.sync) || compare(a.evaluation.rule, b.evaluation.rule),
      );
    const changed: { index: number; alert: StoredAlert }[] = [];
    for (const { evaluation, index } of order) {
      const { sync, rule, runId } = evaluation;
      const figures = JSON.stringify(evaluation.figures);
      const { rows } = evaluation.holds
        ? await db.query<AlertRow>(
            `INSERT INTO alerts (id, sync, rule, kind, raised_at, raised_run_id, figures)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (sync, rule) WHERE resolved_at IS NULL DO NOTHING RETURNING ${columns}`,
            [newAlertId(at), sync, rule, evaluation.kind, at, runId, figures],
          )
        : await db.query<AlertRow>(
            `UPDATE alerts SET resolved_at = $1, resolved_run_id = $2, resolved_figures = $3
             WHERE sync = $4 AND rule = $5 AND resolved_at IS NULL RETURNING ${columns}`,
            [at, runId, figures, sync, rule],
          );
      if (rows[0] === undefined) continue;
      await this.#notifications.enqueue(
        db,
        notificationsOfChange(evaluation, evaluation.holds ? 'raised' : 'resolved'),
      );
      changed.push({ index, alert: toAlert(rows[0]) });
    }
    return changed.sort((a, b) => a.index - b.index).map((change) => change.alert);
  }

  /** Open ones first, then newest first by id (which sorts by raise time, byte-wise). */
  async list(
    db: PgQueryable,
    query: { sync?: string; state?: 'raised' | 'resolved'; limit: number; cursor?: string },
  ): Promise<Page<StoredAlert>> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? null : parseAlertCursor(query.cursor);
    const { rows } = await db.query<AlertRow>(
      `SELECT ${columns} FROM alerts
       WHERE ($1::text IS NULL OR sync = $1)
         AND ($2::text IS NULL OR (resolved_at IS NULL) = ($2 = 'raised'))
         AND ($3::boolean IS NULL OR (resolved_at IS NULL) < $3
              OR ((resolved_at IS NULL) = $3 AND id COLLATE "C" < $4))
       ORDER BY resolved_at IS NULL DESC, id COLLATE "C" DESC LIMIT $5`,
      [query.sync ?? null, query.state ?? null, after?.open ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toAlert);
    const last = items.at(-1);
    return {
      items,
      next: rows.length > limit && last !== undefined ? alertCursor(last.state === 'raised', last.id) : null,
    };
  }

  /** Every alert, oldest first: what a state transfer carries. */
  async all(db: PgQueryable): Promise<StoredAlert[]> {
    const { rows } = await db.query<AlertRow>(`SELECT ${columns} FROM alerts ORDER BY id COLLATE "C"`);
    return rows.map(toAlert);
  }

  /** Adds transferred alerts as they were. */
  async insert(db: PgQueryable, alerts: readonly StoredAlert[]): Promise<void> {
    for (const a of alerts) {
      await db.query(`INSERT INTO alerts (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
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
      ]);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toAlert(row: AlertRow): StoredAlert {
  return {
    id: row.id,
    sync: row.sync,
    rule: row.rule,
    kind: row.kind,
    state: row.resolved_at === null ? 'raised' : 'resolved',
    raisedAt: row.raised_at,
    raisedRunId: row.raised_run_id,
    figures: row.figures,
    resolvedAt: row.resolved_at,
    resolvedRunId: row.resolved_run_id,
    resolvedFigures: row.resolved_figures,
  };
}
