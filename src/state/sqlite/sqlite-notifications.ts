import { leaseEnd } from '../alert-notifications.js';
import type {
  NewNotification,
  NotificationOutbox,
  StoredNotification,
  TargetHealth,
} from '../state-store.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

type NotificationRow = [
  id: string,
  target: string,
  type: NewNotification['type'],
  body: string,
  createdAt: string,
  state: StoredNotification['state'],
  attempts: number,
  nextAttemptAt: string | null,
  lastAttemptAt: string | null,
  lastStatus: number | null,
  lastError: string | null,
  deliveredAt: string | null,
];

const columns =
  'id, target, type, body, created_at, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at';

/** A delivery attempt's outcome, as `NotificationOutbox.settle` takes it. */
export type SettleOutcome = Parameters<NotificationOutbox['settle']>[1];

/**
 * The notification outbox in the `notifications` table (state-store.ts NotificationOutbox). A new
 * notification is due at its `createdAt`. A claim reads the due ones and moves them a lease on in
 * the caller's BEGIN IMMEDIATE transaction, so two processes on the file never claim the same one
 * while its lease runs. The caller (SqliteStateStore) owns transactions and errors.
 */
export class SqliteNotifications {
  readonly #insert: SqliteStatement;
  readonly #due: SqliteStatement;
  readonly #lease: SqliteStatement;
  readonly #delivered: SqliteStatement;
  readonly #failed: SqliteStatement;
  readonly #pending: SqliteStatement;
  readonly #counts: SqliteStatement;
  readonly #lastFailures: SqliteStatement;
  readonly #prune: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO notifications (id, target, type, body, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    // notifications_due finds the due ones; the few found are sorted oldest first.
    this.#due = db
      .prepare(
        `SELECT ${columns} FROM notifications
         WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?`,
      )
      .raw();
    this.#lease = db.prepare('UPDATE notifications SET next_attempt_at = ? WHERE id = ?');
    this.#delivered = db.prepare(
      `UPDATE notifications SET state = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
         last_attempt_at = @at, last_status = @status, last_error = NULL, delivered_at = @at
       WHERE id = @id AND state = 'pending'`,
    );
    this.#failed = db.prepare(
      `UPDATE notifications SET state = CASE WHEN @retryAt IS NULL THEN 'failed' ELSE 'pending' END,
         attempts = attempts + 1, next_attempt_at = @retryAt, last_attempt_at = @at,
         last_status = @status, last_error = @error
       WHERE id = @id AND state = 'pending'`,
    );
    this.#pending = db
      .prepare("SELECT count(*), min(next_attempt_at) FROM notifications WHERE state = 'pending'")
      .raw();
    this.#counts = db
      .prepare(
        `SELECT target, sum(state = 'pending'), sum(state = 'failed'), sum(state = 'delivered'),
                max(delivered_at)
         FROM notifications GROUP BY target ORDER BY target`,
      )
      .raw();
    // SQLite takes the bare columns from the row holding max(): each target's newest failed attempt.
    this.#lastFailures = db
      .prepare(
        `SELECT target, max(last_attempt_at), last_status, last_error FROM notifications
         WHERE last_error IS NOT NULL GROUP BY target`,
      )
      .raw();
    this.#prune = db.prepare(
      "DELETE FROM notifications WHERE state IN ('delivered', 'failed') AND created_at < ?",
    );
  }

  /** Queues notifications, due at their creation; ids already there stay as they are. */
  enqueue(notifications: readonly NewNotification[]): void {
    for (const n of notifications) this.#insert.run(n.id, n.target, n.type, n.body, n.createdAt, n.createdAt);
  }

  /** Claims the due ones (inside the caller's write transaction). */
  claimDue(now: string, limit: number, leaseMs: number): StoredNotification[] {
    const until = leaseEnd(now, leaseMs);
    const rows = this.#due.all(now, Math.max(0, Math.floor(limit))) as NotificationRow[];
    for (const row of rows) {
      this.#lease.run(until, row[0]);
      row[7] = until;
    }
    return rows.map(toNotification);
  }

  settle(id: string, outcome: SettleOutcome): void {
    if (outcome.delivered) this.#delivered.run({ id, at: outcome.at, status: outcome.status });
    else {
      this.#failed.run({
        id,
        at: outcome.at,
        status: outcome.status,
        error: outcome.error,
        retryAt: outcome.retryAt,
      });
    }
  }

  pending(): { count: number; nextDueAt: string | null } {
    const [count, nextDueAt] = this.#pending.get() as [number, string | null];
    return { count, nextDueAt };
  }

  health(): TargetHealth[] {
    const failures = new Map(
      (this.#lastFailures.all() as [string, string, number | null, string][]).map(
        ([target, at, status, error]) => [target, { at, status, error }],
      ),
    );
    return (this.#counts.all() as [string, number, number, number, string | null][]).map(
      ([target, pending, failed, delivered, lastDeliveredAt]) => {
        const failure = failures.get(target);
        return {
          target,
          pending,
          failed,
          delivered,
          lastDeliveredAt,
          lastFailure:
            failure !== undefined && (lastDeliveredAt === null || failure.at > lastDeliveredAt)
              ? failure
              : null,
        };
      },
    );
  }

  /** Deletes delivered and given-up notifications created before `before`; answers how many. */
  prune(before: string): number {
    return this.#prune.run(before).changes;
  }
}

function toNotification(row: NotificationRow): StoredNotification {
  const [id, target, type, body, createdAt, state, attempts, nextAttemptAt] = row;
  const [lastAttemptAt, lastStatus, lastError, deliveredAt] = row.slice(8) as [
    string | null,
    number | null,
    string | null,
    string | null,
  ];
  return {
    id,
    target,
    type,
    body,
    createdAt,
    state,
    attempts,
    nextAttemptAt,
    lastAttemptAt,
    lastStatus,
    lastError,
    deliveredAt,
  };
}
