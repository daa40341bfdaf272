import { leaseEnd } from '../alert-notifications.js';
import type {
  NewNotification,
  NotificationOutbox,
  StoredNotification,
  TargetHealth,
} from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';
import { fromPgText, toPgText, toPgTexts } from './pg-text.js';

interface NotificationRow {
  id: string;
  target: string;
  type: NewNotification['type'];
  body: string;
  created_at: string;
  state: StoredNotification['state'];
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

/** A delivery attempt's outcome, as `NotificationOutbox.settle` takes it. */
export type SettleOutcome = Parameters<NotificationOutbox['settle']>[1];

/**
 * The notification outbox in the `notifications` table, with the SQLite store's semantics
 * (sqlite-notifications.ts). A claim is one UPDATE of the due rows it locks with FOR UPDATE SKIP
 * LOCKED: processes claiming at once each take different rows, and a row a claim committed is no
 * longer due for the next (its WHERE is checked again on the row it locks). The caller
 * (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgNotifications {
  /** Queues notifications, due at their creation; ids already there stay as they are. */
  async enqueue(db: PgQueryable, notifications: readonly NewNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    await db.query(
      `INSERT INTO notifications (id, target, type, body, created_at, next_attempt_at)
       SELECT n.id, n.target, n.type, n.body, n.created_at, n.created_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS n (id, target, type, body, created_at)
       ON CONFLICT (id) DO NOTHING`,
      [
        notifications.map((n) => n.id),
        notifications.map((n) => n.target),
        notifications.map((n) => n.type),
        toPgTexts(notifications.map((n) => n.body)),
        notifications.map((n) => n.createdAt),
      ],
    );
  }

  async claimDue(
    db: PgQueryable,
    now: string,
    limit: number,
    leaseMs: number,
  ): Promise<StoredNotification[]> {
    const { rows } = await db.query<NotificationRow>(
      `UPDATE notifications n SET next_attempt_at = $3
       FROM (SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= $1
             ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
       WHERE n.id = due.id
       RETURNING n.*`,
      [now, Math.max(0, Math.floor(limit)), leaseEnd(now, leaseMs)],
    );
    // RETURNING keeps no order: oldest first again.
    return rows
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.id, b.id))
      .map(toNotification);
  }

  async settle(db: PgQueryable, id: string, outcome: SettleOutcome): Promise<void> {
    if (outcome.delivered) {
      await db.query(
        `UPDATE notifications SET state = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
           last_attempt_at = $2, last_status = $3, last_error = NULL, delivered_at = $2
         WHERE id = $1 AND state = 'pending'`,
        [id, outcome.at, outcome.status],
      );
      return;
    }
    await db.query(
      `UPDATE notifications SET state = CASE WHEN $5::text IS NULL THEN 'failed' ELSE 'pending' END,
         attempts = attempts + 1, next_attempt_at = $5, last_attempt_at = $2, last_status = $3,
         last_error = $4
       WHERE id = $1 AND state = 'pending'`,
      [id, outcome.at, outcome.status, toPgText(outcome.error), outcome.retryAt],
    );
  }

  async pending(db: PgQueryable): Promise<{ count: number; nextDueAt: string | null }> {
    const { rows } = await db.query<{ count: string; next: string | null }>(
      "SELECT count(*) AS count, min(next_attempt_at) AS next FROM notifications WHERE state = 'pending'",
    );
    return { count: Number(rows[0]!.count), nextDueAt: rows[0]!.next };
  }

  async health(db: PgQueryable): Promise<TargetHealth[]> {
    const counts = await db.query<{
      target: string;
      pending: string;
      failed: string;
      delivered: string;
      last_delivered_at: string | null;
    }>(
      `SELECT target, count(*) FILTER (WHERE state = 'pending') AS pending,
              count(*) FILTER (WHERE state = 'failed') AS failed,
              count(*) FILTER (WHERE state = 'delivered') AS delivered,
              max(delivered_at) AS last_delivered_at
       FROM notifications GROUP BY target ORDER BY target COLLATE "C"`,
    );
    const failures = await db.query<{
      target: string;
      last_attempt_at: string;
      last_status: number | null;
      last_error: string;
    }>(
      `SELECT DISTINCT ON (target) target, last_attempt_at, last_status, last_error FROM notifications
       WHERE last_error IS NOT NULL ORDER BY target, last_attempt_at DESC`,
    );
    const lastFailure = new Map(
      failures.rows.map((row) => [
        row.target,
        { at: row.last_attempt_at, status: row.last_status, error: fromPgText(row.last_error) },
      ]),
    );
    return counts.rows.map((row) => {
      const failure = lastFailure.get(row.target);
      const lastDeliveredAt = row.last_delivered_at;
      return {
        target: row.target,
        pending: Number(row.pending),
        failed: Number(row.failed),
        delivered: Number(row.delivered),
        lastDeliveredAt,
        lastFailure:
          failure !== undefined && (lastDeliveredAt === null || failure.at > lastDeliveredAt)
            ? failure
            : null,
      };
    });
  }

  /** Deletes delivered and given-up notifications created before `before`. */
  async prune(db: PgQueryable, before: string): Promise<void> {
    await db.query("DELETE FROM notifications WHERE state IN ('delivered', 'failed') AND created_at < $1", [
      before,
    ]);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toNotification(row: NotificationRow): StoredNotification {
  return {
    id: row.id,
    target: row.target,
    type: row.type,
    body: fromPgText(row.body),
    createdAt: row.created_at,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatus: row.last_status,
    lastError: fromPgText(row.last_error),
    deliveredAt: row.delivered_at,
  };
}
