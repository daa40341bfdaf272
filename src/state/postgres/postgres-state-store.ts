import { randomBytes } from 'node:crypto';
import type { RunCounts, RunRecord, RunWriteback } from '../../core/run.js';
import type { TokenRole } from '../../core/token-roles.js';
import type {
  AlertBook,
  AlertEvaluation,
  ClaimedSlot,
  CursorMark,
  DeliveryLedger,
  DeliveryResult,
  ExchangeLog,
  FinishRun,
  LockHolder,
  LockTable,
  NewNotification,
  NewRun,
  NotificationOutbox,
  PlannedChange,
  PruneOptions,
  PruneResult,
  QueuedRun,
  RateBuckets,
  RecordQuery,
  RunHistory,
  RunQuery,
  ScheduleSlots,
  SeenEntry,
  SlotOutcome,
  StatePiece,
  StateStore,
  StateTransfer,
  StoredExchange,
  TokenTable,
} from '../state-store.js';
import { newRunId } from '../store-listing.js';
import { applyPgMigrations } from './apply-pg-migrations.js';
import { PgAlerts } from './pg-alerts.js';
import { PgCursorMarks } from './pg-cursor-marks.js';
import { PgExchanges } from './pg-exchanges.js';
import { PgKeyStates } from './pg-key-states.js';
import { PgLocks } from './pg-locks.js';
import { pgMigrations } from './pg-migrations.js';
import { PgNotifications, type SettleOutcome } from './pg-notifications.js';
import type { PgPoolLike, PgQueryable, PgStateDriver } from './pg-pool.js';
import { PgRateBuckets } from './pg-rate-buckets.js';
import { PgRemovedKeys } from './pg-removed-keys.js';
import { PgRetention } from './pg-retention.js';
import { PgRunHistory } from './pg-run-history.js';
import { PgScheduleSlots } from './pg-schedule-slots.js';
import { PgTokens } from './pg-tokens.js';
import { PgTransfer } from './pg-transfer.js';
import { parseStateUrl, type StateUrl } from './state-url.js';
import { toPgStateError } from './to-pg-state-error.js';

export interface PostgresStateStoreOptions {
  /** The clock behind run ids and delivered/failed/prune timestamps (default: the system clock). Leases use the database's. */
  now?: () => Date;
  /** Connections in the pool (default 4: a run's writes are one transaction at a time). */
  maxConnections?: number;
  /** How long connecting may take, in ms (default 10,000). */
  connectTimeoutMs?: number;
}

/**
 * The shared state store (`state: postgres://…`, SPEC §5): every table in one schema (`sluice`, or
 * the URL's `?schema=name`), created and migrated on open. Several processes on several machines
 * share it: every multi-row write is one transaction on one pooled connection, leases are timed by
 * the database's clock, and the keys a run notes live in a table keyed by run id (so any pooled
 * connection sees them). Committed writes are as durable as the server makes them.
 */
export class PostgresStateStore implements StateStore {
  readonly #pool: PgPoolLike;
  readonly #url: StateUrl;
  readonly #now: () => Date;
  readonly #runs = new PgRunHistory();
  readonly #keys = new PgKeyStates();
  readonly #locks = new PgLocks();
  readonly #removed = new PgRemovedKeys();
  readonly #cursors = new PgCursorMarks();
  readonly #retention = new PgRetention();
  readonly #rates = new PgRateBuckets();
  readonly #tokens = new PgTokens();
  readonly #slots = new PgScheduleSlots();
  readonly #exchanges = new PgExchanges();
  readonly #notifications = new PgNotifications();
  readonly #alerts = new PgAlerts(this.#notifications);
  readonly #transfer = new PgTransfer({
    cursors: this.#cursors,
    runs: this.#runs,
    tokens: this.#tokens,
    slots: this.#slots,
    exchanges: this.#exchanges,
    alerts: this.#alerts,
  });
  #workspaceId: string | null = null;
  #closed = false;

  /** Use `PostgresStateStore.open`: this expects a pool on a migrated schema. */
  private constructor(pool: PgPoolLike, url: StateUrl, now: () => Date) {
    this.#pool = pool;
    this.#url = url;
    this.#now = now;
  }

  /**
   * Connects to `url`, creates the schema if needed and migrates it (under an advisory lock, so
   * parallel opens are safe). Failures are `state_error`s naming the server and database, never
   * the password.
   */
  static async open(
    driver: PgStateDriver,
    url: string,
    options: PostgresStateStoreOptions = {},
  ): Promise<PostgresStateStore> {
    const parsed = parseStateUrl(url);
    const now = options.now ?? (() => new Date());
    const pool = new driver.Pool({
      connectionString: parsed.connectionString,
      options: `-c search_path=${parsed.schema}`,
      application_name: 'sluice-state',
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
    });
    // A pooled connection that breaks while idle is dropped by the pool; the next call reconnects.
    pool.on('error', () => undefined);
    try {
      await applyPgMigrations(pool, parsed.schema, pgMigrations, now);
      return new PostgresStateStore(pool, parsed, now);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toPgStateError(error, parsed.display, parsed.password, 'opening the state database');
    }
  }

  async workspaceId(proposed?: string): Promise<string> {
    if (this.#workspaceId !== null) return this.#workspaceId;
    this.#workspaceId = await this.#read('reading the workspace id', async (db) => {
      // Insert unless present, then read back: when two processes race on a fresh schema, both get the winner.
      await db.query(
        "INSERT INTO meta (name, value) VALUES ('workspace_id', $1) ON CONFLICT (name) DO NOTHING",
        [proposed ?? randomBytes(8).toString('hex')],
      );
      const { rows } = await db.query<{ value: string }>(
        "SELECT value FROM meta WHERE name = 'workspace_id'",
      );
      return rows[0]!.value;
    });
    return this.#workspaceId;
  }

  /** Run history (state-store.ts RunHistory). */
  readonly runs: RunHistory = {
    start: (run: NewRun) =>
      this.#read('starting a run', (db) => this.#runs.start(db, run, newRunId(this.#now()))),
    enqueue: (run: QueuedRun) =>
      this.#read('queueing a run', (db) => this.#runs.enqueue(db, run, newRunId(this.#now()))),
    cancel: (runId: string, at: string) =>
      this.#read('cancelling a run', (db) => this.#runs.cancel(db, runId, at)),
    finish: (runId: string, finish: FinishRun) =>
      this.#read('finishing a run', (db) => this.#runs.finish(db, runId, finish)),
    updateCounts: (runId: string, counts: RunCounts) =>
      this.#read('updating run counts', (db) => this.#runs.updateCounts(db, runId, counts)),
    recordWriteback: (runId: string, outcome: RunWriteback) =>
      this.#read('recording a writeback', (db) => this.#runs.recordWriteback(db, runId, outcome)),
    get: (runId: string) => this.#read('reading a run', (db) => this.#runs.get(db, runId)),
    list: (query: RunQuery) => this.#read('listing runs', (db) => this.#runs.list(db, query)),
    lastCompleted: (sync: string) =>
      this.#read('reading the last completed run', (db) => this.#runs.lastCompleted(db, sync)),
    records: (runId: string, query: RecordQuery) =>
      this.#read('listing run records', (db) => this.#runs.records(db, runId, query)),
    keyHistory: (sync: string, key: string, query: { limit: number; cursor?: string }) =>
      this.#read('reading a key history', (db) => this.#runs.keyHistory(db, sync, key, query)),
  };

  /** The delivery ledger (state-store.ts DeliveryLedger). */
  readonly ledger: DeliveryLedger = {
    lookup: (sync: string, keys: readonly string[], sourceHashes: readonly string[]) =>
      this.#read('reading key states', (db) => this.#keys.lookup(db, sync, keys, sourceHashes)),
    deliveredFingerprints: (sync: string, query: { salt: string; after?: string; limit: number }) =>
      this.#read('reading delivered fingerprints', (db) => this.#keys.fingerprints(db, sync, query)),
    keyStates: (sync: string, keys: readonly string[]) =>
      this.#read('reading key states', (db) => this.#keys.get(db, sync, keys)),
    deliveredPayloads: (sync: string, keys: readonly string[]) =>
      this.#read('reading delivered payloads', (db) => this.#keys.payloads(db, sync, keys)),
    savePlanned: async (sync: string, changes: readonly PlannedChange[]) => {
      if (changes.length === 0) return;
      await this.#write('saving planned changes', (db) => this.#keys.plan(db, sync, changes));
    },
    recordDeliveries: async (sync: string, runId: string, results: readonly DeliveryResult[]) => {
      if (results.length === 0) return;
      const at = this.#now().toISOString();
      await this.#write('recording deliveries', async (db) => {
        const runSeq = await this.#runs.seqOf(db, runId);
        const records = await this.#runs.insert(
          db,
          runSeq,
          results.map((result) => ({
            key: result.key,
            status: result.status,
            reason: result.reason,
            message: result.error,
            messageId: result.messageId,
            payload: result.payload,
          })),
        );
        await this.#keys.applyResults(db, sync, results, records, at);
      });
    },
    recordInvalid: async (runId: string, records: readonly Omit<RunRecord, 'runId'>[]) => {
      if (records.length === 0) return;
      await this.#write('recording run records', async (db) => {
        await this.#runs.insert(db, await this.#runs.seqOf(db, runId), records);
      });
    },
    markSeen: async (sync: string, entries: readonly SeenEntry[]) => {
      if (entries.length === 0) return;
      const at = this.#now().toISOString();
      await this.#write('marking keys as seen', (db) => this.#keys.markSeen(db, sync, entries, at));
    },
    refreshSourceHashes: async (sync: string, entries: readonly SeenEntry[]) => {
      if (entries.length === 0) return;
      await this.#write('refreshing source fingerprints', (db) =>
        this.#keys.refreshSourceHashes(db, sync, entries),
      );
    },
    countKeys: (sync: string) => this.#read('counting key states', (db) => this.#removed.count(db, sync)),
    clearRemoved: async (sync: string, keys: readonly string[]) => {
      if (keys.length === 0) return;
      await this.#read('clearing removed flags', (db) => this.#removed.clear(db, sync, keys));
    },
    notePresentKeys: (run: string, keys: readonly string[]) =>
      this.#read('noting the keys of a run', (db) => this.#removed.note(db, run, keys)),
    sweepRemoved: async (sync: string, run: string, options: { record: boolean }) => {
      if (!options.record) {
        return this.#write('finding removed keys', async (db) => {
          const count = await this.#removed.countAbsent(db, sync, run);
          await this.#removed.forget(db, run);
          return count;
        });
      }
      return this.#write('recording removed keys', async (db) => {
        const count = await this.#removed.sweep(db, sync, run, await this.#runs.seqOf(db, run));
        await this.#removed.forget(db, run);
        return count;
      });
    },
    forgetPresentKeys: (run: string) =>
      this.#read('forgetting the keys of a run', (db) => this.#removed.forget(db, run)),
    cursorMark: (sync: string) => this.#read('reading the cursor mark', (db) => this.#cursors.get(db, sync)),
    saveCursorMark: (sync: string, mark: CursorMark) =>
      this.#read('saving the cursor mark', (db) => this.#cursors.save(db, sync, mark)),
  };

  /** Run locks (state-store.ts LockTable), timed by the database's clock. */
  readonly locks: LockTable = {
    acquire: (name: string, holder: LockHolder, leaseMs: number, steal?: string) =>
      this.#read('taking a lock', (db) => this.#locks.acquire(db, name, holder, leaseMs, steal)),
    renew: (name: string, holderId: string, leaseMs: number) =>
      this.#read('renewing a lock', (db) => this.#locks.renew(db, name, holderId, leaseMs)),
    release: (name: string, holderId: string) =>
      this.#read('releasing a lock', (db) => this.#locks.release(db, name, holderId)),
    holder: (name: string) => this.#read('reading a lock', (db) => this.#locks.holder(db, name)),
  };

  /** Rate buckets (state-store.ts RateBuckets), timed by the database's clock. */
  readonly rates: RateBuckets = {
    take: (key: string, count: number, perSecond: number, burst: number) =>
      this.#read('taking from a rate bucket', (db) => this.#rates.take(db, key, count, perSecond, burst)),
  };

  /** API tokens (state-store.ts TokenTable). */
  readonly tokens: TokenTable = {
    create: (token: { name: string; role: TokenRole; hash: string; createdAt: string }) =>
      this.#read('creating an API token', (db) => this.#tokens.create(db, token)),
    list: () => this.#read('listing API tokens', (db) => this.#tokens.list(db)),
    revoke: (name: string) => this.#read('revoking an API token', (db) => this.#tokens.revoke(db, name)),
    touch: (name: string, at: string) =>
      this.#read('recording the use of an API token', (db) => this.#tokens.touch(db, name, at)),
  };

  /** Schedule slots claimed once across processes (state-store.ts ScheduleSlots). */
  readonly schedules: ScheduleSlots = {
    claim: (entry: ClaimedSlot) =>
      this.#read('claiming a schedule slot', (db) => this.#slots.claim(db, entry)),
    settle: (
      sync: string,
      slot: string,
      result: { outcome: SlotOutcome; runId: string | null; reason: string | null },
    ) => this.#read('recording a schedule slot', (db) => this.#slots.settle(db, sync, slot, result)),
    last: async (sync: string) =>
      (await this.#read('reading schedule slots', (db) => this.#slots.list(db, sync, 1)))[0] ?? null,
    list: (sync: string, limit: number) =>
      this.#read('reading schedule slots', (db) => this.#slots.list(db, sync, limit)),
  };

  /** The inspector's HTTP exchanges (state-store.ts ExchangeLog). */
  readonly exchanges: ExchangeLog = {
    record: async (runId: string, exchanges: readonly StoredExchange[]) => {
      if (exchanges.length === 0) return;
      await this.#read('recording exchanges', (db) => this.#exchanges.record(db, runId, exchanges));
    },
    list: (runId: string, query: { limit: number; cursor?: string }) =>
      this.#read('listing exchanges', (db) => this.#exchanges.list(db, runId, query)),
  };

  /** Alerts raised and resolved once across processes (state-store.ts AlertBook). */
  readonly alerts: AlertBook = {
    apply: async (evaluations: readonly AlertEvaluation[], at: string) => {
      if (evaluations.length === 0) return [];
      return this.#write('applying alerts', (db) => this.#alerts.apply(db, evaluations, at));
    },
    list: (query: { sync?: string; state?: 'raised' | 'resolved'; limit: number; cursor?: string }) =>
      this.#read('listing alerts', (db) => this.#alerts.list(db, query)),
  };

  /** Notifications waiting to be delivered, shared by every process (state-store.ts NotificationOutbox). */
  readonly notifications: NotificationOutbox = {
    enqueue: async (notifications: readonly NewNotification[]) => {
      if (notifications.length === 0) return;
      await this.#read('queueing notifications', (db) => this.#notifications.enqueue(db, notifications));
    },
    claimDue: (now: string, limit: number, leaseMs: number) =>
      this.#read('claiming notifications', (db) => this.#notifications.claimDue(db, now, limit, leaseMs)),
    settle: (id: string, outcome: SettleOutcome) =>
      this.#read('recording a notification attempt', (db) => this.#notifications.settle(db, id, outcome)),
    pending: () => this.#read('reading notifications', (db) => this.#notifications.pending(db)),
    health: () => this.#read('reading notifications', (db) => this.#notifications.health(db)),
  };

  /** Moving the whole state to another store (state-store.ts StateTransfer). */
  readonly transfer: StateTransfer = {
    isEmpty: () => this.#read('reading the state', (db) => this.#transfer.isEmpty(db)),
    exportPage: async (cursor: string | null) => {
      const workspaceId = cursor === null ? await this.workspaceId() : '';
      return this.#read('exporting the state', (db) => this.#transfer.exportPage(db, cursor, workspaceId));
    },
    importPieces: async (pieces: readonly StatePiece[]) => {
      await this.#write('importing a state', (db) => this.#transfer.importPieces(db, pieces));
      const workspace = pieces.find((piece) => piece.kind === 'workspace');
      if (workspace !== undefined) this.#workspaceId = workspace.workspaceId;
    },
    clear: () => this.#write('clearing the state', (db) => this.#transfer.clear(db)),
  };

  async prune(options: PruneOptions): Promise<PruneResult | null> {
    const now = this.#now().toISOString();
    const retention = this.#retention;
    if (
      !(await this.#read('starting a prune', (db) => retention.claim(db, now, options.unlessPrunedSince)))
    ) {
      return null;
    }
    const before = await this.#read('measuring the state', (db) => retention.size(db));
    let runs = 0;
    let records = 0;
    let exchanges = 0;
    let bytes = 0;
    // One transaction per run, so that a sync recording deliveries meanwhile never waits on the
    // rows of the whole prune.
    for (const run of await this.#read('listing runs to prune', (db) =>
      retention.prunable(db, options.before),
    )) {
      const pruned = await this.#write('pruning run records', async (db) => {
        const inspected = await this.#exchanges.pruneRun(db, run.seq);
        const done = await retention.pruneRun(db, run, now);
        return { ...done, exchanges: inspected.exchanges, bytes: done.bytes + inspected.bytes };
      });
      if (pruned.records > 0 || pruned.exchanges > 0) runs++;
      records += pruned.records;
      exchanges += pruned.exchanges;
      bytes += pruned.bytes;
    }
    await this.#read('pruning kept payloads', (db) => retention.dropStaleKept(db));
    await this.#read('pruning schedule slots', (db) => this.#slots.prune(db, options.before));
    await this.#read('pruning notifications', (db) => this.#notifications.prune(db, options.before));
    const reclaim = options.reclaim && !(await this.#read('reading locks', (db) => this.#locks.anyHeld(db)));
    if (!reclaim) return { runs, records, exchanges, bytesFreed: bytes, reclaimed: false };
    await this.#read('reclaiming space', (db) => retention.reclaim(db));
    const after = await this.#read('measuring the state', (db) => retention.size(db));
    return { runs, records, exchanges, bytesFreed: Math.max(0, before - after), reclaimed: true };
  }

  /** Closes the pool; later calls fail with `state_error`. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch((error: unknown) => {
      throw this.#error(error, 'closing the state database');
    });
  }

  /** One statement (or several that need no shared transaction) on whichever pooled connection is free. */
  async #read<T>(operation: string, fn: (db: PgQueryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#error(new Error('the store is closed'), operation);
    try {
      return await fn(this.#pool);
    } catch (error) {
      throw this.#error(error, operation);
    }
  }

  /** Runs `fn` in one transaction on one connection: all of it is stored, or none of it. */
  async #write<T>(operation: string, fn: (db: PgQueryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#error(new Error('the store is closed'), operation);
    let client: Awaited<ReturnType<PgPoolLike['connect']>> | undefined;
    try {
      client = await this.#pool.connect();
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      if (client !== undefined) {
        // A connection whose ROLLBACK fails is closed instead of going back to the pool.
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.release(broken);
      }
      throw this.#error(error, operation);
    }
  }

  #error(error: unknown, operation: string) {
    return toPgStateError(error, this.#url.display, this.#url.password, operation);
  }
}
