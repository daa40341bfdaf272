import type { RecordStatus, RunCounts, RunRecord, RunStatus, RunSummary, RunWriteback } from '../core/run.js';
import type { TextColumns } from '../core/text-columns.js';
import type { TokenRole } from '../core/token-roles.js';
import type { AlertKind, NotificationType } from '../core/workspace.js';

/** What the state store remembers per sync and key. */
export interface KeyState {
  key: string;
  /** Hash of the prepared message last delivered (2xx), or null if never delivered. */
  deliveredHash: string | null;
  /**
   * Fingerprint of the source row behind that delivery (null if unknown): a row that still has it
   * is unchanged without being mapped again.
   */
  deliveredSourceHash: string | null;
  deliveredMessageId: string | null;
  /** The last delivery generation handed out for this key (0 = none yet). */
  generation: number;
  /** A change planned but not yet delivered: retried with the same messageId while its hash holds. */
  pending: PendingChange | null;
  /** Reported removed (absent from the model) by an earlier run, and not seen in a model since. */
  removed: boolean;
}

export interface PendingChange {
  hash: string;
  messageId: string;
  generation: number;
  /** Failed delivery attempts so far. */
  attempts: number;
  firstFailedAt: string | null;
  lastError: string | null;
  abandoned: boolean;
}

/** A change about to be sent: written durably before the send. */
export interface PlannedChange {
  key: string;
  hash: string;
  messageId: string;
  generation: number;
  /** Start the failure count afresh (`--retry-abandoned`, or a new change replacing a failed one). */
  resetAttempts?: boolean;
}

/** Who holds a sync's run lock. */
export interface LockHolder {
  /** A random id per run attempt. */
  id: string;
  host: string;
  pid: number;
  /** What holds it, for the "already running" message: e.g. the run id. */
  label: string;
}

export type LockAttempt = { acquired: true } | { acquired: false; holder: LockHolder; expiresAt: string };

/** What the diff's lookup of a batch of keys found. */
export interface KeyLookup {
  /**
   * The asked keys that are unchanged without mapping their rows again: each one's last delivery
   * came from a row with the given (non-empty) source fingerprint, so the same row under the same
   * mapping and Sluice version gives the same message, and no other change is pending for it.
   */
  unchanged: ReadonlySet<string>;
  /** The key states of the other keys; keys never seen are absent. */
  states: Map<string, KeyState>;
}

/** A page of a sync's delivered fingerprints (DeliveryLedger.deliveredFingerprints), in key order. */
export interface FingerprintPage {
  /**
   * Two columns, `[keys, rowHashes]` (core/text-columns.ts): `rowHashes[i]` is what follows the
   * salt in `keys[i]`'s delivered source fingerprint. Packed (a string or UTF-8 bytes per column)
   * where the store can; lists for the pages it cannot pack (a value holding the separator, say).
   */
  pairs: TextColumns;
  /** Where the next page starts (pass it as `after`); null after the last page. */
  next: string | null;
}

/** A key remembered as delivered without being sent, with its hash. */
export interface SeenEntry {
  key: string;
  hash: string;
  sourceHash: string;
}

/** The outcome of one sent message, recorded with its batch in one transaction. */
export interface DeliveryResult {
  key: string;
  hash: string;
  /** The source row's fingerprint, remembered with a successful delivery. */
  sourceHash: string;
  /**
   * The change's generation: the key's generation is raised to it (a key's first message may
   * reach the store only here, never planned: sync/diff.ts Decision.durable).
   */
  generation: number;
  messageId: string;
  /** The message as sent. */
  payload: string;
  reason: string;
  status: 'succeeded' | 'failed' | 'abandoned';
  error: string | null;
}

export interface NewRun {
  sync: string;
  fullResync: boolean;
  startedAt: string;
  /** A dry run kept in the history (SPEC §6: dry runs asked for through the API). */
  dryRun?: boolean;
  /**
   * Starts this queued run instead of a new one. Throws `run_finished` when it is no longer
   * queued (cancelled, or started by another worker).
   */
  runId?: string;
}

/** A run asked for, to wait in the history as `queued` until a worker starts it. */
export interface QueuedRun {
  sync: string;
  dryRun: boolean;
  fullResync: boolean;
  requestedAt: string;
}

/** What `runs.enqueue` did. */
export interface Enqueued {
  runId: string;
  /**
   * False when a run of the same sync and kind (dry or real) was already queued: that one answers
   * (raised to a full resync when this one asked for it), so requests made while one waits coalesce.
   */
  created: boolean;
}

/**
 * What `runs.cancel` did: a queued run ends at once (`cancelled`); a running one is asked to stop
 * (`requested`: it ends `interrupted` within seconds, `runs.get` shows `cancelRequestedAt`).
 */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'not_found';

export interface FinishRun {
  status: Exclude<RunStatus, 'queued' | 'running'>;
  counts: RunCounts;
  finishedAt: string;
  error: { code: string; message: string } | null;
  /** A dry run's report (JSON of its samples), kept with it. */
  report?: string;
}

/** What `StateStore.prune` is asked to do (SPEC §7 retention). */
export interface PruneOptions {
  /** Records of finished runs that started before this ISO time are deleted; their summaries stay. */
  before: string;
  /**
   * Rewrite the file so that it shrinks (SQLite VACUUM: takes as long as copying the state once).
   * Without it the freed space is reused by later runs, so the state stops growing but keeps its size.
   */
  reclaim: boolean;
  /**
   * Do nothing (answer null) when a prune started at or after this ISO time: lets every run ask for
   * an automatic prune that actually happens at most once per interval, across processes.
   */
  unlessPrunedSince?: string;
}

/** What a prune removed (`sluice prune --json` prints it). */
export interface PruneResult {
  /** Runs whose records were deleted. */
  runs: number;
  /** Records deleted (rows of those runs: delivered, failed, invalid…). */
  records: number;
  /** Inspector exchanges deleted (of the same runs). */
  exchanges: number;
  /**
   * Bytes freed: with `reclaimed`, what the file shrank by (space a previous prune freed
   * included); without, the space the deleted records took, now free for later runs to reuse.
   */
  bytesFreed: number;
  /**
   * Whether the file was rewritten (asked with `reclaim`). Not while a run holds a lock: rewriting
   * holds the write lock for as long as copying the state takes, longer than a run would wait.
   */
  reclaimed: boolean;
}

/** One page of a listing, and the cursor of the next (null after the last page). */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to read on; opaque, and valid as long as the listed rows exist. */
  next: string | null;
}

/** Which runs `runs.list` returns, newest first. */
export interface RunQuery {
  sync?: string;
  status?: RunStatus;
  /** Only dry runs (true) or only real runs (false); absent: both. */
  dryRun?: boolean;
  limit: number;
  /** A `next` from the previous page. */
  cursor?: string;
}

/** Which records of a run `runs.records` returns, in the order they were recorded. */
export interface RecordQuery {
  status?: RecordStatus;
  /** Only the records of this key (SPEC §6 `records?key=`). */
  key?: string;
  /** Only the records with this reason (`new`, `changed`, `absent`, an invalid row's code…). */
  reason?: string;
  limit: number;
  cursor?: string;
}

/** One record in a key's history: what a run did with the key, and when that run started. */
export interface KeyHistoryEntry extends RunRecord {
  runStartedAt: string;
}

/**
 * Run history: runs as they start, go and end, and every row's record (SPEC §4). What a CLI,
 * an API or a UI lists.
 */
export interface RunHistory {
  /**
   * Starts a run of `run.sync`, or the queued run `run.runId`; answers its id (sorts by the time
   * it started, or was queued).
   */
  start(run: NewRun): Promise<string>;
  /** Queues a run (status `queued`), or answers the run of the same sync and kind already queued. */
  enqueue(run: QueuedRun): Promise<Enqueued>;
  /** Cancels a queued run, or asks a running one to stop (SPEC §6). */
  cancel(runId: string, at: string): Promise<CancelOutcome>;
  finish(runId: string, finish: FinishRun): Promise<void>;
  /**
   * Stores a running run's counts so far: a run killed mid-way is shown with what it did. Ignored
   * once the run is finished.
   */
  updateCounts(runId: string, counts: RunCounts): Promise<void>;
  /**
   * Keeps what a finished run's warehouse writeback did (SPEC §7), replacing what an earlier
   * writeback of the run recorded; ignored for an unknown run.
   */
  recordWriteback(runId: string, outcome: RunWriteback): Promise<void>;
  get(runId: string): Promise<RunSummary | null>;
  /** Runs newest first, a page at a time. */
  list(query: RunQuery): Promise<Page<RunSummary>>;
  /** The sync's newest completed real run (dry runs never count), however many runs came after it. */
  lastCompleted(sync: string): Promise<RunSummary | null>;
  /** A run's records in the order they were recorded, a page at a time; empty for an unknown run. */
  records(runId: string, query: RecordQuery): Promise<Page<RunRecord>>;
  /**
   * Every record of `key` in the sync's runs, newest run first: what was sent for it (or why not),
   * run after run, as far back as retention keeps records.
   */
  keyHistory(
    sync: string,
    key: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<KeyHistoryEntry>>;
}

/**
 * The ledger of what was delivered per sync and key, and the records of each row's fate: what the
 * pipe reads to find changes and writes as it plans, sends and records.
 */
export interface DeliveryLedger {
  /**
   * The diff's lookup for a batch: which keys are unchanged by their source fingerprints, and the
   * key states of the rest. `sourceHashes[i]` is the fingerprint of `keys[i]`'s row.
   */
  lookup(sync: string, keys: readonly string[], sourceHashes: readonly string[]): Promise<KeyLookup>;
  /**
   * The keys `lookup` could find unchanged, for a diff in the warehouse (sync/warehouse-diff.ts): a
   * page, in the store's key order from after `after` (an earlier page's `next`; absent: from the
   * first), of the sync's keys delivered with nothing pending, not flagged removed, whose delivered
   * source fingerprint is `salt` followed by a non-empty row hash — each with that row hash. At most
   * `limit` keys are scanned per page; keys of another salt are skipped, so a page may hold fewer.
   */
  deliveredFingerprints(
    sync: string,
    query: { salt: string; after?: string; limit: number },
  ): Promise<FingerprintPage>;
  /**
   * Key states for the given keys of a sync; keys never seen are absent from the map. Carries no
   * payloads.
   */
  keyStates(sync: string, keys: readonly string[]): Promise<Map<string, KeyState>>;
  /**
   * The message last delivered per key, as sent (JSON), for "which fields changed" explanations;
   * keys never delivered are absent.
   */
  deliveredPayloads(sync: string, keys: readonly string[]): Promise<Map<string, string>>;
  /** Marks changes as pending with their messageIds, durably, before they are sent. */
  savePlanned(sync: string, changes: readonly PlannedChange[]): Promise<void>;
  /** Records a batch's outcomes and updates key state, in one transaction. */
  recordDeliveries(sync: string, runId: string, results: readonly DeliveryResult[]): Promise<void>;
  /** Records rows that were not sent (invalid), in one transaction. */
  recordInvalid(runId: string, records: readonly Omit<RunRecord, 'runId'>[]): Promise<void>;
  /**
   * Marks keys as delivered without sending (event syncs with backfill: false on their first run).
   */
  markSeen(sync: string, entries: readonly SeenEntry[]): Promise<void>;
  /**
   * Records new source fingerprints for keys whose rows were mapped again and found unchanged (after
   * a mapping change or an upgrade), so later runs can skip them again. A key whose delivered hash
   * is no longer `hash` is left alone.
   */
  refreshSourceHashes(sync: string, entries: readonly SeenEntry[]): Promise<void>;
  /**
   * How many keys of the sync have state (none: its first run, which needs no lookups), and how
   * many of those are flagged removed: asked when a run starts, so that at its end the run can tell
   * from what its lookups found whether any key is absent, without a pass over the sync's keys.
   */
  countKeys(sync: string): Promise<{ keys: number; removed: number }>;
  /** Clears the removed flag of keys that are back in the model. */
  clearRemoved(sync: string, keys: readonly string[]): Promise<void>;
  /**
   * Notes keys a run's model returned (valid rows and invalid rows that have a key), for
   * `sweepRemoved`. `run` is the run id, or a dry run's own id.
   */
  notePresentKeys(run: string, keys: readonly string[]): Promise<void>;
  /**
   * At the end of a run that read its whole model: the keys of `sync` delivered before that the run
   * did not note, and that were not reported removed before (SPEC §3 "Removed rows"). With
   * `record`, they are recorded as `removed` records of the run and reported only this once (until
   * they come back); without (a dry run), only counted. Returns how many; forgets the noted keys.
   */
  sweepRemoved(sync: string, run: string, options: { record: boolean }): Promise<number>;
  /** Forgets a run's noted keys without sweeping (a run that failed before reading everything). */
  forgetPresentKeys(run: string): Promise<void>;
  /** An event cursor's high-water mark (SPEC §3 "Event cursors"); null before its first one. */
  cursorMark(sync: string): Promise<CursorMark | null>;
  /**
   * Keeps a sync's high-water mark, replacing the one before. The run decides it
   * (sync/event-cursor.ts): only a completed run with no failed row moves it, never backwards.
   */
  saveCursorMark(sync: string, mark: CursorMark): Promise<void>;
}

/**
 * An event sync's high-water mark: the column it was taken on (a mark of another column means
 * nothing to this one) and the latest cursor value of the rows its runs have read, as an ISO-8601
 * UTC instant with milliseconds (`Date.prototype.toISOString`, so marks compare as text too).
 */
export interface CursorMark {
  column: string;
  mark: string;
}

/** Named leases: one run of a sync at a time, across processes. */
export interface LockTable {
  /**
   * Takes the named lock for `leaseMs`, atomically, unless another holder's lease is still running.
   * `steal` names a holder the caller has proven dead (its process is gone): its lock is taken over
   * even before its lease runs out.
   */
  acquire(name: string, holder: LockHolder, leaseMs: number, steal?: string): Promise<LockAttempt>;
  /** Extends a held lease; false if the lock was lost (expired and taken by another holder). */
  renew(name: string, holderId: string, leaseMs: number): Promise<boolean>;
  release(name: string, holderId: string): Promise<void>;
  /**
   * Who holds the named lock and until when, or null when nobody does (never taken, released, or
   * its lease ran out): how a worker tells a run that is going from one whose process died.
   */
  holder(name: string): Promise<{ holder: LockHolder; expiresAt: string } | null>;
}

/**
 * Token buckets shared by every process using the store: a destination's `rate_limit` holds across
 * every run on every worker (SPEC §5).
 */
export interface RateBuckets {
  /**
   * Takes `count` tokens from the bucket `key`, which refills at `perSecond` tokens a second up to
   * `burst`, and answers how many milliseconds the caller must wait before it sends them (0: now).
   * Tokens may go negative: the debt is what later callers wait out, in the order they asked, so
   * the bucket never lets through more than `burst + perSecond × T` tokens in any T seconds.
   */
  take(key: string, count: number, perSecond: number, burst: number): Promise<number>;
}

/** An API token as the store keeps it: never the token itself, only its hash (SPEC §6). */
export interface StoredToken {
  /** Unique per store. */
  name: string;
  role: TokenRole;
  /** The token's SHA-256, hex. */
  hash: string;
  createdAt: string;
  /** When the token last authenticated a request, as `touch` recorded it; null when never. */
  lastUsedAt: string | null;
}

/** The API tokens that may call `sluice serve`'s HTTP API (SPEC §6). */
export interface TokenTable {
  /** Adds a token; false (and nothing changed) when one with that name exists. */
  create(token: { name: string; role: TokenRole; hash: string; createdAt: string }): Promise<boolean>;
  /** Every token, by name. */
  list(): Promise<StoredToken[]>;
  /** Deletes the named token; false when there was none. */
  revoke(name: string): Promise<boolean>;
  /**
   * Records that the named token was used at `at` (ISO time). Never moves the time back (two
   * processes touching at once keep the later time); a token that is gone is left gone.
   */
  touch(name: string, at: string): Promise<void>;
}

/** What became of a schedule's slot: a run was asked for, or none because the sync was busy. */
export type SlotOutcome = 'fired' | 'skipped';

/** A schedule's slot as one process claimed it (`StateStore.schedules`). */
export interface ClaimedSlot {
  sync: string;
  /** The slot's identity within the sync: the ISO time it fell due (schedule/schedule-times.ts). */
  slot: string;
  outcome: SlotOutcome;
  /**
   * The run asked for when `fired`. Null while it is being asked for, when skipped, or when the
   * claiming process died before asking (the slot is then lost, never fired twice).
   */
  runId: string | null;
  /** Why it was skipped (null when fired). */
  reason: string | null;
  /** When it was claimed (ISO, the claiming process's clock). */
  at: string;
}

/**
 * Schedule slots claimed once across every process on the store (SPEC §5 "each schedule fires
 * once"): the first to record a sync's slot fires it, every other process sees it taken.
 */
export interface ScheduleSlots {
  /** Records the slot unless it is recorded already; true only for the one caller that recorded it. */
  claim(entry: ClaimedSlot): Promise<boolean>;
  /** Records what became of a claimed slot: the run it asked for, or why it was skipped. */
  settle(
    sync: string,
    slot: string,
    result: { outcome: SlotOutcome; runId: string | null; reason: string | null },
  ): Promise<void>;
  /** The sync's latest slot (by slot time), fired or skipped; null when none was ever claimed. */
  last(sync: string): Promise<ClaimedSlot | null>;
  /** The sync's slots, latest first, at most `limit`: skipped ones say why. */
  list(sync: string, limit: number): Promise<ClaimedSlot[]>;
}

/**
 * One HTTP exchange with a destination as the inspector keeps it (SPEC §7): redacted by the
 * destination, bodies cut to a few KB by the sampler (sync/exchange-sampler.ts), which lists the
 * batch's messageIds apart so none is lost to the cut.
 */
export interface StoredExchange {
  /** When the answer (or the failure) came, ISO. */
  at: string;
  method: string;
  url: string;
  /** HTTP status; null when no answer came. */
  status: number | null;
  /** Why no answer came (null when one did). */
  error: string | null;
  latencyMs: number;
  /** The attempt of this request, from 1. */
  attempt: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  requestBody: string;
  /** The request body's full UTF-8 length, before any cut. */
  requestBytes: number;
  responseBody: string;
  responseBytes: number;
  /** Whether either body was cut. */
  truncated: boolean;
  /** Every messageId the request carried, in order. */
  messageIds: string[];
}

/** The inspector's store: a run's kept HTTP exchanges (SPEC §7 "API inspector"). */
export interface ExchangeLog {
  /** Adds exchanges to a run, in order, in one transaction; nothing for an unknown run. */
  record(runId: string, exchanges: readonly StoredExchange[]): Promise<void>;
  /** A run's exchanges in the order they were recorded, a page at a time; empty for an unknown run. */
  list(runId: string, query: { limit: number; cursor?: string }): Promise<Page<StoredExchange>>;
}

/** An alert of a sync, from the run that raised it to the run that resolved it (SPEC §7). */
export interface StoredAlert {
  /** Unique per store; sorts by the time it was raised. */
  id: string;
  sync: string;
  /** The rule's `AlertRule.id`, e.g. "failed_rows over 5%". */
  rule: string;
  kind: AlertKind;
  /** Open while `raised`; a later raise of the same rule is a new alert. */
  state: 'raised' | 'resolved';
  raisedAt: string;
  raisedRunId: string;
  /** The figures that tripped it, e.g. `{ "failed": 12, "planned": 100, "ratio": 0.12, "over": 0.05 }`. */
  figures: Record<string, number>;
  resolvedAt: string | null;
  resolvedRunId: string | null;
  /** The figures of the run that resolved it. */
  resolvedFigures: Record<string, number> | null;
}

/** What a finished run found about one alert rule of its sync. */
export interface AlertEvaluation {
  sync: string;
  rule: string;
  kind: AlertKind;
  /** Whether the rule's condition holds after this run. */
  holds: boolean;
  figures: Record<string, number>;
  runId: string;
  /**
   * Notifications to queue if, and only if, this evaluation changes the alert's state (raised when
   * it holds and none is open; resolved when it does not and one is open), in the same transaction.
   * Their `type` says which change they are for: `alert.raised` ones are queued only on a raise.
   */
  notifications: NewNotification[];
}

/** The alerts' book: raised once when a condition starts holding, resolved once when it stops. */
export interface AlertBook {
  /**
   * Applies a run's evaluations in one transaction: an alert is raised when its rule holds and none
   * is open for the sync and rule, resolved when it does not hold and one is open, and otherwise left
   * alone; each change queues its evaluation's notifications. Answers the alerts that changed, as
   * they are now. Safe against two processes applying at once: each change happens once.
   */
  apply(evaluations: readonly AlertEvaluation[], at: string): Promise<StoredAlert[]>;
  /** Alerts, open ones first and then by the time they were raised, newest first; a page at a time. */
  list(query: {
    sync?: string;
    state?: 'raised' | 'resolved';
    limit: number;
    cursor?: string;
  }): Promise<Page<StoredAlert>>;
}

/** A notification to deliver to one `notify:` target (SPEC §7). */
export interface NewNotification {
  /** The Standard Webhooks `webhook-id`, `msg_` + random: the same on every retry. */
  id: string;
  /** The `notify:` target's name; its type and URL are read from the workspace when it is sent. */
  target: string;
  type: NotificationType;
  /** The event as JSON, `{"type", "timestamp", "data"}`: a webhook's body, exactly. */
  body: string;
  createdAt: string;
}

export interface StoredNotification extends NewNotification {
  state: 'pending' | 'delivered' | 'failed';
  /** Attempts made so far. */
  attempts: number;
  /** When it is next due (pending only; a claim moves it on by the claim's lease). */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** The last attempt's HTTP status, null when none answered. */
  lastStatus: number | null;
  /** Why the last attempt failed (never carries the URL). */
  lastError: string | null;
  deliveredAt: string | null;
}

/** How a target's deliveries are going, for `sluice alerts` and the API: a failing target is visible. */
export interface TargetHealth {
  target: string;
  pending: number;
  /** Given up after every retry. */
  failed: number;
  delivered: number;
  lastDeliveredAt: string | null;
  /** The newest failed attempt, when it is newer than the last delivery. */
  lastFailure: { at: string; status: number | null; error: string } | null;
}

/**
 * Notifications waiting to be delivered, shared by every process on the store: whoever claims a due
 * one sends it, and a process that dies holding it only delays it by the claim's lease.
 */
export interface NotificationOutbox {
  /** Queues notifications (pending, due now); ids already queued are left as they are. */
  enqueue(notifications: readonly NewNotification[]): Promise<void>;
  /**
   * Claims up to `limit` pending notifications due at `now`, oldest first, moving each one's next
   * attempt `leaseMs` on so no other process claims it meanwhile; answers them.
   */
  claimDue(now: string, limit: number, leaseMs: number): Promise<StoredNotification[]>;
  /**
   * Records an attempt: delivered, or failed and due again at `retryAt` (null: given up, `failed`).
   * Counts the attempt either way.
   */
  settle(
    id: string,
    outcome:
      | { delivered: true; at: string; status: number }
      | { delivered: false; at: string; status: number | null; error: string; retryAt: string | null },
  ): Promise<void>;
  /** The pending notifications' count and the earliest time one is due (null when none is pending). */
  pending(): Promise<{ count: number; nextDueAt: string | null }>;
  /** Per target that has any notification: how its deliveries go, by target name. */
  health(): Promise<TargetHealth[]>;
}

/** A key's state as moved between stores: everything `KeyState` says, and the message last sent. */
export interface KeyTransfer extends KeyState {
  /** The message last delivered, as sent (null: never delivered, or remembered without sending). */
  deliveredPayload: string | null;
  deliveredAt: string | null;
}

/**
 * A piece of a state, as `sluice state migrate` moves it from one store to another: in the order
 * `transfer.exportPage` gives them (the workspace id, the API tokens, each sync's latest schedule
 * slot, every alert and every event cursor's mark, each run oldest first followed by its records and then its inspector
 * exchanges, then every key), which is the order `transfer.importPieces` takes them in.
 */
export type StatePiece =
  | { kind: 'workspace'; workspaceId: string }
  | { kind: 'tokens'; tokens: StoredToken[] }
  | { kind: 'run'; run: RunSummary }
  | { kind: 'records'; runId: string; records: Omit<RunRecord, 'runId'>[] }
  | { kind: 'keys'; sync: string; keys: KeyTransfer[] }
  | { kind: 'slots'; slots: ClaimedSlot[] }
  | { kind: 'exchanges'; runId: string; exchanges: StoredExchange[] }
  | { kind: 'alerts'; alerts: StoredAlert[] }
  | { kind: 'cursors'; marks: (CursorMark & { sync: string })[] };

/**
 * A whole state moved between stores (`sluice state migrate`): run history with every record, and
 * per sync and key what was delivered and what is pending, so that a run after the move sends
 * nothing that was delivered before and retries what was pending under the same messageIds; the
 * API tokens, so that the HTTP API takes the same tokens after the move; and each sync's latest
 * claimed schedule slot, so that a scheduler after the move does not fire again a slot fired before
 * it (older slots, which only tell history, are not moved); each run's inspector exchanges and
 * writeback outcome; and every alert, open or resolved, so that an alert open before the move is
 * resolved (not raised again) after it. Locks, rate buckets and prune times are not moved: they
 * describe processes, not data. Nor are notifications: pending ones describe deliveries in flight
 * (a process of the old store may be sending them), and delivered ones only tell how it went.
 */
export interface StateTransfer {
  /** Whether the store holds no run, no key state and no API token. */
  isEmpty(): Promise<boolean>;
  /** The next pieces after `cursor` (null: from the start), and the cursor after them (null: done). */
  exportPage(cursor: string | null): Promise<{ pieces: StatePiece[]; next: string | null }>;
  /** Adds exported pieces, in the order they were exported, keeping their run ids; one transaction. */
  importPieces(pieces: readonly StatePiece[]): Promise<void>;
  /**
   * Deletes every run, record, key state, API token, schedule slot, alert and notification (the
   * workspace id stays).
   */
  clear(): Promise<void>;
}

/**
 * Durable memory, grouped by concern: run history, the delivery ledger, locks, rate buckets, API
 * tokens. Async so a PostgreSQL implementation fits the same interface. Every multi-row write is one
 * transaction.
 */
export interface StateStore {
  /**
   * A random id made once with the store (at its first use), never changed after. It namespaces
   * messageIds: event ids when sluice.yaml has no `workspace_id`, and user and group ids always —
   * for those it is the store's epoch (SPEC §3): a new state, new ids, so a value that changed back
   * is never dropped by Segment as an old copy. `proposed` (from `sluice init`, which makes the
   * store together with sluice.yaml) becomes the id when the store has none yet; afterwards it is
   * ignored.
   */
  workspaceId(proposed?: string): Promise<string>;
  readonly runs: RunHistory;
  readonly ledger: DeliveryLedger;
  readonly locks: LockTable;
  readonly rates: RateBuckets;
  readonly tokens: TokenTable;
  readonly schedules: ScheduleSlots;
  readonly exchanges: ExchangeLog;
  readonly alerts: AlertBook;
  readonly notifications: NotificationOutbox;
  readonly transfer: StateTransfer;
  /**
   * Applies retention (SPEC §7): deletes the per-row records of finished runs started before
   * `options.before` (run summaries stay) and keeps each key's last delivered message, so that
   * `ledger.deliveredPayloads` answers as before; their inspector exchanges go with the records. Schedule slots claimed before it go too, except
   * each sync's latest (the scheduler's grid goes on from it), and so do notifications made before
   * it that were delivered or given up (pending ones stay; alerts stay, they are the history
   * `sluice alerts` shows). Null when skipped by `unlessPrunedSince`.
   */
  prune(options: PruneOptions): Promise<PruneResult | null>;
  close(): Promise<void>;
}
