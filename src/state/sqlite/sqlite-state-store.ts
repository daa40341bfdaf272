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
  KeyState,
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
import { applyMigrations } from './apply-migrations.js';
import { sqliteMigrations } from './migrations.js';
import { SqliteAlerts } from './sqlite-alerts.js';
import { SqliteCursorMarks } from './sqlite-cursor-marks.js';
import { loadSqliteDriver, type SqliteDatabase } from './sqlite-database.js';
import { SqliteExchanges } from './sqlite-exchanges.js';
import { SqliteKeyStates } from './sqlite-key-states.js';
import { SqliteLocks } from './sqlite-locks.js';
import { type SettleOutcome, SqliteNotifications } from './sqlite-notifications.js';
import { SqliteRateBuckets } from './sqlite-rate-buckets.js';
import { SqliteRemovedKeys } from './sqlite-removed-keys.js';
import { SqliteRetention } from './sqlite-retention.js';
import { SqliteRunHistory } from './sqlite-run-history.js';
import { SqliteScheduleSlots } from './sqlite-schedule-slots.js';
import { SqliteTokens } from './sqlite-tokens.js';
import { SqliteTransfer } from './sqlite-transfer.js';
import { prepareStateFile } from './state-file-modes.js';
import { toStateError } from './to-state-error.js';

export interface SqliteStateStoreOptions {
  /** How long a write waits for another process's write lock, in ms (default 10,000). */
  busyTimeoutMs?: number;
  /** The clock behind run ids and delivered/failed timestamps (default: the system clock). */
  now?: () => Date;
}

/**
 * The embedded state store: one SQLite file in WAL mode, shared safely by several processes (a CLI
 * run while `sluice serve` lists runs): readers never block the writer, and writers queue on the
 * write lock for up to `busyTimeoutMs`.
 *
 * Durability: `synchronous=NORMAL` in WAL mode. A committed transaction is in the WAL file before
 * the call returns, so it survives the process being killed at any moment; only a power loss or OS
 * crash can drop the last transactions (never corrupting the file; https://www.sqlite.org/pragma.html#pragma_synchronous).
 * Even then nothing is sent twice as different messages: the lost rows come back as they were
 * before, so the next run re-plans them from the same generation with the same messageIds.
 */
export class SqliteStateStore implements StateStore {
  readonly #db: SqliteDatabase;
  readonly #file: string;
  readonly #now: () => Date;
  readonly #runs: SqliteRunHistory;
  readonly #keys: SqliteKeyStates;
  readonly #locks: SqliteLocks;
  readonly #rates: SqliteRateBuckets;
  readonly #tokens: SqliteTokens;
  readonly #slots: SqliteScheduleSlots;
  readonly #exchanges: SqliteExchanges;
  readonly #notifications: SqliteNotifications;
  readonly #alerts: SqliteAlerts;
  readonly #transfer: SqliteTransfer;
  readonly #removed: SqliteRemovedKeys;
  readonly #cursors: SqliteCursorMarks;
  readonly #retention: SqliteRetention;
  #workspaceId: string | null = null;
  #closed = false;

  /** Use `SqliteStateStore.open`: this expects a configured database with the current schema. */
  private constructor(db: SqliteDatabase, file: string, now: () => Date) {
    this.#db = db;
    this.#file = file;
    this.#now = now;
    this.#runs = new SqliteRunHistory(db);
    this.#keys = new SqliteKeyStates(db);
    this.#locks = new SqliteLocks(db);
    this.#rates = new SqliteRateBuckets(db);
    this.#tokens = new SqliteTokens(db);
    this.#slots = new SqliteScheduleSlots(db);
    this.#exchanges = new SqliteExchanges(db);
    this.#notifications = new SqliteNotifications(db);
    this.#alerts = new SqliteAlerts(db, this.#notifications);
    this.#cursors = new SqliteCursorMarks(db);
    this.#transfer = new SqliteTransfer(db, {
      cursors: this.#cursors,
      runs: this.#runs,
      tokens: this.#tokens,
      slots: this.#slots,
      exchanges: this.#exchanges,
      alerts: this.#alerts,
    });
    this.#removed = new SqliteRemovedKeys(db);
    this.#retention = new SqliteRetention(db);
  }

  /**
   * Opens (creating it and its folders if needed) the state file and migrates it to the current
   * schema. `:memory:` gives a private in-memory store. Failures are `state_error`s naming the file.
   */
  static async open(file: string, options: SqliteStateStoreOptions = {}): Promise<SqliteStateStore> {
    const now = options.now ?? (() => new Date());
    let db: SqliteDatabase | undefined;
    try {
      // The state holds customer data (SPEC §3): its folder 0700 and its files 0600.
      if (file !== ':memory:') await prepareStateFile(file);
      const Database = await loadSqliteDriver();
      db = new Database(file);
      configure(db, options.busyTimeoutMs ?? 10_000);
      applyMigrations(db, sqliteMigrations, now);
      return new SqliteStateStore(db, file, now);
    } catch (error) {
      db?.close();
      throw toStateError(error, file, 'opening the state database');
    }
  }

  async workspaceId(proposed?: string): Promise<string> {
    if (this.#workspaceId !== null) return this.#workspaceId;
    this.#workspaceId = this.#guard('reading the workspace id', () => this.#readWorkspaceId(proposed));
    return this.#workspaceId;
  }

  /** The stored workspace id, made (from `proposed` or at random) when there is none yet. */
  #readWorkspaceId(proposed?: string): string {
    // INSERT OR IGNORE then read back: when two processes race on a fresh file, both get the winner.
    this.#db
      .prepare("INSERT OR IGNORE INTO meta (name, value) VALUES ('workspace_id', ?)")
      .run(proposed ?? randomBytes(8).toString('hex'));
    const row = this.#db.prepare("SELECT value FROM meta WHERE name = 'workspace_id'").get() as {
      value: string;
    };
    return row.value;
  }

  /** Run history (state-store.ts RunHistory). */
  readonly runs: RunHistory = {
    start: async (run: NewRun) =>
      this.#guard('starting a run', () => this.#runs.start(run, newRunId(this.#now()))),
    enqueue: async (run: QueuedRun) =>
      this.#guard('queueing a run', () => this.#runs.enqueue(run, newRunId(this.#now()))),
    cancel: async (runId: string, at: string) =>
      this.#guard('cancelling a run', () => this.#runs.cancel(runId, at)),
    finish: async (runId: string, finish: FinishRun) =>
      this.#guard('finishing a run', () => this.#runs.finish(runId, finish)),
    updateCounts: async (runId: string, counts: RunCounts) =>
      this.#write('updating run counts', () => this.#runs.updateCounts(runId, counts)),
    recordWriteback: async (runId: string, outcome: RunWriteback) =>
      this.#write('recording a writeback', () => this.#runs.recordWriteback(runId, outcome)),
    get: async (runId: string) => this.#guard('reading a run', () => this.#runs.get(runId)),
    list: async (query: RunQuery) => this.#guard('listing runs', () => this.#runs.list(query)),
    lastCompleted: async (sync: string) =>
      this.#guard('reading the last completed run', () => this.#runs.lastCompleted(sync)),
    records: async (runId: string, query: RecordQuery) =>
      this.#guard('listing run records', () => this.#runs.records(runId, query)),
    keyHistory: async (sync: string, key: string, query: { limit: number; cursor?: string }) =>
      this.#guard('reading a key history', () => this.#runs.keyHistory(sync, key, query)),
  };

  /** The delivery ledger (state-store.ts DeliveryLedger). */
  readonly ledger: DeliveryLedger = {
    lookup: async (sync: string, keys: readonly string[], sourceHashes: readonly string[]) => {
      const found = this.lookupFlags(sync, keys, sourceHashes);
      const unchanged = new Set<string>();
      for (let i = 0; i < keys.length; i++) if (found.unchanged[i] === 1) unchanged.add(keys[i]!);
      return { unchanged, states: found.states };
    },
    deliveredFingerprints: async (sync: string, query: { salt: string; after?: string; limit: number }) =>
      this.#guard('reading delivered fingerprints', () => this.#keys.fingerprints(sync, query)),
    keyStates: async (sync: string, keys: readonly string[]) =>
      this.#guard('reading key states', () => this.#keys.get(sync, keys)),
    deliveredPayloads: async (sync: string, keys: readonly string[]) =>
      this.#guard('reading delivered payloads', () => this.#keys.payloads(sync, keys)),
    savePlanned: async (sync: string, changes: readonly PlannedChange[]) => {
      if (changes.length === 0) return;
      this.#write('saving planned changes', () => {
        for (const change of changes) this.#keys.plan(sync, change);
      });
    },
    recordDeliveries: async (sync: string, runId: string, results: readonly DeliveryResult[]) => {
      if (results.length === 0) return;
      const at = this.#now().toISOString();
      this.#write('recording deliveries', () => {
        const runSeq = this.#runs.seqOf(runId);
        const batch = this.#runs.insertBatch(
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
        for (let i = 0; i < results.length; i++) this.#keys.applyResult(sync, results[i]!, at, batch, i);
      });
    },
    recordInvalid: async (runId: string, records: readonly Omit<RunRecord, 'runId'>[]) => {
      if (records.length === 0) return;
      this.#write('recording run records', () => {
        this.#runs.insertBatch(this.#runs.seqOf(runId), records);
      });
    },
    markSeen: async (sync: string, entries: readonly SeenEntry[]) => {
      if (entries.length === 0) return;
      const at = this.#now().toISOString();
      this.#write('marking keys as seen', () => {
        for (const entry of entries) this.#keys.markSeen(sync, entry, at);
      });
    },
    refreshSourceHashes: async (sync: string, entries: readonly SeenEntry[]) => {
      if (entries.length === 0) return;
      this.#write('refreshing source fingerprints', () => {
        for (const entry of entries) this.#keys.refreshSourceHash(sync, entry);
      });
    },
    countKeys: async (sync: string) => this.#guard('counting key states', () => this.#removed.count(sync)),
    clearRemoved: async (sync: string, keys: readonly string[]) => {
      if (keys.length === 0) return;
      this.#write('clearing removed flags', () => this.#removed.clear(sync, keys));
    },
    // The temporary table is this connection's alone: no write lock on the file is needed.
    notePresentKeys: async (run: string, keys: readonly string[]) =>
      this.#guard('noting the keys of a run', () => this.#removed.note(run, keys)),
    sweepRemoved: async (sync: string, run: string, options: { record: boolean }) => {
      if (!options.record) {
        return this.#guard('finding removed keys', () => this.#removed.sweep(sync, run, false).count);
      }
      return this.#write('recording removed keys', () => {
        const { count, batches } = this.#removed.sweep(sync, run, true);
        if (count > 0) {
          const runSeq = this.#runs.seqOf(run);
          for (const records of batches) this.#runs.insertBatch(runSeq, records);
        }
        return count;
      });
    },
    forgetPresentKeys: async (run: string) =>
      this.#guard('forgetting the keys of a run', () => this.#removed.forget(run)),
    cursorMark: async (sync: string) => this.#guard('reading the cursor mark', () => this.#cursors.get(sync)),
    saveCursorMark: async (sync: string, mark: CursorMark) =>
      this.#write('saving the cursor mark', () => this.#cursors.save(sync, mark)),
  };

  /** Run locks (state-store.ts LockTable). */
  readonly locks: LockTable = {
    acquire: async (name: string, holder: LockHolder, leaseMs: number, steal?: string) =>
      this.#write('taking a lock', () =>
        this.#locks.acquire(name, holder, leaseMs, this.#now().getTime(), steal),
      ),
    renew: async (name: string, holderId: string, leaseMs: number) =>
      this.#write('renewing a lock', () => this.#locks.renew(name, holderId, leaseMs, this.#now().getTime())),
    release: async (name: string, holderId: string) =>
      this.#write('releasing a lock', () => this.#locks.release(name, holderId)),
    holder: async (name: string) =>
      this.#guard('reading a lock', () => this.#locks.holder(name, this.#now().getTime())),
  };

  /** Rate buckets (state-store.ts RateBuckets). */
  readonly rates: RateBuckets = {
    take: async (key: string, count: number, perSecond: number, burst: number) =>
      this.#write('taking from a rate bucket', () =>
        this.#rates.take(key, count, perSecond, burst, this.#now().getTime()),
      ),
  };

  /** API tokens (state-store.ts TokenTable). */
  readonly tokens: TokenTable = {
    create: async (token: { name: string; role: TokenRole; hash: string; createdAt: string }) =>
      this.#write('creating an API token', () => this.#tokens.create(token)),
    list: async () => this.#guard('listing API tokens', () => this.#tokens.list()),
    revoke: async (name: string) => this.#write('revoking an API token', () => this.#tokens.revoke(name)),
    touch: async (name: string, at: string) =>
      this.#write('recording the use of an API token', () => this.#tokens.touch(name, at)),
  };

  /** Schedule slots claimed once across processes (state-store.ts ScheduleSlots). */
  readonly schedules: ScheduleSlots = {
    claim: async (entry: ClaimedSlot) =>
      this.#write('claiming a schedule slot', () => this.#slots.claim(entry)),
    settle: async (
      sync: string,
      slot: string,
      result: { outcome: SlotOutcome; runId: string | null; reason: string | null },
    ) => this.#write('recording a schedule slot', () => this.#slots.settle(sync, slot, result)),
    last: async (sync: string) =>
      this.#guard('reading schedule slots', () => this.#slots.list(sync, 1)[0] ?? null),
    list: async (sync: string, limit: number) =>
      this.#guard('reading schedule slots', () => this.#slots.list(sync, limit)),
  };

  /** The inspector's HTTP exchanges (state-store.ts ExchangeLog). */
  readonly exchanges: ExchangeLog = {
    record: async (runId: string, exchanges: readonly StoredExchange[]) => {
      if (exchanges.length === 0) return;
      this.#write('recording exchanges', () => this.#exchanges.record(runId, exchanges));
    },
    list: async (runId: string, query: { limit: number; cursor?: string }) =>
      this.#guard('listing exchanges', () => this.#exchanges.list(runId, query)),
  };

  /** Alerts raised and resolved once (state-store.ts AlertBook). */
  readonly alerts: AlertBook = {
    apply: async (evaluations: readonly AlertEvaluation[], at: string) => {
      if (evaluations.length === 0) return [];
      return this.#write('applying alerts', () => this.#alerts.apply(evaluations, at));
    },
    list: async (query: { sync?: string; state?: 'raised' | 'resolved'; limit: number; cursor?: string }) =>
      this.#guard('listing alerts', () => this.#alerts.list(query)),
  };

  /** Notifications waiting to be delivered (state-store.ts NotificationOutbox). */
  readonly notifications: NotificationOutbox = {
    enqueue: async (notifications: readonly NewNotification[]) => {
      if (notifications.length === 0) return;
      this.#write('queueing notifications', () => this.#notifications.enqueue(notifications));
    },
    claimDue: async (now: string, limit: number, leaseMs: number) =>
      this.#write('claiming notifications', () => this.#notifications.claimDue(now, limit, leaseMs)),
    settle: async (id: string, outcome: SettleOutcome) =>
      this.#write('recording a notification attempt', () => this.#notifications.settle(id, outcome)),
    pending: async () => this.#guard('reading notifications', () => this.#notifications.pending()),
    health: async () => this.#guard('reading notifications', () => this.#notifications.health()),
  };

  /** Moving the whole state to another store (state-store.ts StateTransfer). */
  readonly transfer: StateTransfer = {
    isEmpty: async () => this.#guard('reading the state', () => this.#transfer.isEmpty()),
    exportPage: async (cursor: string | null) =>
      this.#guard('exporting the state', () =>
        this.#transfer.exportPage(cursor, () => this.#readWorkspaceId()),
      ),
    importPieces: async (pieces: readonly StatePiece[]) =>
      this.#write('importing a state', () =>
        this.#transfer.importPieces(pieces, (id) => {
          this.#db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('workspace_id', ?)").run(id);
          this.#workspaceId = id;
        }),
      ),
    clear: async () => this.#write('clearing the state', () => this.#transfer.clear()),
  };

  /**
   * `ledger.lookup` as the key states and one flag per asked key (1: unchanged): what the state
   * thread sends back instead of a set of keys, so a run where little changed moves one byte a key
   * between threads (threaded-state-store.ts).
   */
  lookupFlags(
    sync: string,
    keys: readonly string[],
    sourceHashes: readonly string[],
  ): { unchanged: Uint8Array; states: Map<string, KeyState> } {
    return this.#guard('reading key states', () => this.#keys.lookup(sync, keys, sourceHashes));
  }

  async prune(options: PruneOptions): Promise<PruneResult | null> {
    const now = this.#now().toISOString();
    const retention = this.#retention;
    if (!this.#write('starting a prune', () => retention.claim(now, options.unlessPrunedSince))) return null;
    const before = this.#guard('measuring the state', () => retention.sizes());
    let runs = 0;
    let records = 0;
    let exchanges = 0;
    // One transaction per run, so that a sync recording deliveries meanwhile waits for one run's
    // worth of deletes at most, never for the whole prune (busy_timeout).
    for (const run of this.#guard('listing runs to prune', () => retention.prunable(options.before))) {
      const pruned = this.#write('pruning run records', () => ({
        ...retention.pruneRun(run, now),
        exchanges: this.#exchanges.pruneRun(run.seq),
      }));
      if (pruned.batches > 0 || pruned.exchanges > 0) runs++;
      records += pruned.records;
      exchanges += pruned.exchanges;
    }
    this.#write('pruning kept payloads', () => retention.dropStaleKept());
    this.#write('pruning schedule slots', () => this.#slots.prune(options.before));
    this.#write('pruning notifications', () => this.#notifications.prune(options.before));
    const reclaim =
      options.reclaim && !this.#guard('reading locks', () => retention.lockHeld(this.#now().getTime()));
    if (reclaim) this.#guard('reclaiming file space', () => retention.reclaim());
    const after = this.#guard('measuring the state', () => retention.sizes());
    const freed = reclaim ? before.file - after.file : before.used - after.used;
    return { runs, records, exchanges, bytesFreed: Math.max(0, freed), reclaimed: reclaim };
  }

  /** Closes the connection; later calls fail with `state_error`. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#guard('closing the state database', () => this.#db.close());
    this.#closed = true;
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction: all of it is stored, or none of it. */
  #write<T>(operation: string, fn: () => T): T {
    return this.#guard(operation, () => this.#db.transaction(fn).immediate());
  }

  #guard<T>(operation: string, fn: () => T): T {
    if (this.#closed) throw toStateError(new Error('the store is closed'), this.#file, operation);
    try {
      return fn();
    } catch (error) {
      throw toStateError(error, this.#file, operation);
    }
  }
}

/**
 * Connection settings, chosen by timing 200,000-1,000,000 keys in batches of 2,000-2,500: the costs
 * are WAL writes, checkpoints, and reads of pages no longer cached.
 */
function configure(db: SqliteDatabase, busyTimeoutMs: number): void {
  // First, so that even switching to WAL waits for a process holding the lock.
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // Only takes effect on a new file (before WAL): 8 KiB pages hold more ~400-byte key states each.
  db.pragma('page_size = 8192');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // 8 MiB of cache and no memory map. Syncs read and write key states in key order (extract.ts
  // sorts by key), so each batch touches neighbouring pages: measured on 1M keys in order, a 128 MiB
  // map made lookups no faster, and its touched pages counted in the process's peak RSS (the map was
  // worth it, 1.5x, when keys came in random order). The cache was 32 MiB until the 1M-user bench's
  // peak RSS was set against it (bench/README.md, "Memory defaults"): in key order a batch's pages
  // stay hot without it.
  db.pragma('cache_size = -8192');
  db.pragma('mmap_size = 0');
  // Checkpoint every ~32 MiB of WAL instead of ~4 MiB: with the default, nearly every batch commit
  // triggered a checkpoint that copied the same hot pages again (about 2x slower planning writes).
  db.pragma('wal_autocheckpoint = 4000');
}
