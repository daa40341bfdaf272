import { isSluiceError, SluiceError } from '../core/errors.js';
import { RECORD_STATUSES, type RecordStatus, RUN_STATUSES, type RunStatus } from '../core/run.js';
import type { TokenRole } from '../core/token-roles.js';
import type { SyncConfig, Workspace } from '../core/workspace.js';
import type { Exchange } from '../destinations/destination.js';
import { Deliverer } from '../observe/deliverer.js';
import type { RunRequestReason } from '../schedule/run-queue.js';
import { readScheduleFacts } from '../schedule/schedule-facts.js';
import { scheduleTimes } from '../schedule/schedule-times.js';
import { type ScheduleRequestAnswer, Scheduler } from '../schedule/scheduler.js';
import { Worker, type WorkerEvent } from '../schedule/worker.js';
import { type ModelPreview, previewModel } from '../sync/preview-model.js';
import { runLockName } from '../sync/run-lock.js';
import type { SyncRunResult, WritebackOutcome } from '../sync/run-result.js';
import type { RunSyncOptions } from '../sync/run-sync.js';
import type { SyncRunner } from '../sync/sync-runner.js';
import { writeBackRun } from '../sync/writeback.js';
import { type AlertListing, alertDocument, targetDocuments } from './alert-documents.js';
import { ApiTokens, type VerifiedToken } from './api-tokens.js';
import { type CheckReport, checkWorkspace } from './check-workspace.js';
import {
  type CreatedToken,
  type ExchangeDocument,
  exchangeDocument,
  type KeyHistoryDocument,
  type KeyStateDocument,
  keyHistoryDocument,
  keyStateDocument,
  type Listing,
  listing,
  type RecordDocument,
  type RunDocument,
  recordDocument,
  runDocument,
  type TokenDocument,
} from './documents.js';
import { type MigrateDocument, migrateState } from './migrate-state.js';
import { type PruneDocument, pruneState } from './prune-state.js';
import { type ServiceOptions, SluiceService } from './service.js';
import { type SyncDocument, syncDocument } from './sync-document.js';
import { type SyncOverview, syncOverview } from './sync-overview.js';
import type { ObserveEvent, WorkspaceParts } from './workspace-parts.js';

/**
 * How to run a sync (`Sluice.run`). `signal` stops a run gracefully (the batches in flight are
 * finished and recorded; the run ends `failed` with code `interrupted`), `hardSignal` abandons them
 * too; `onProgress` is told the counts as they change; `onWarning` gets one line per thing the user
 * should know. `onFaultPoint` exists for crash tests.
 */
export type RunOptions = RunSyncOptions;

/** Which runs `Sluice.runs` lists, newest first. */
export interface RunsQuery {
  sync?: string;
  status?: RunStatus;
  /** Default 20. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Which records `Sluice.records` lists, in the order they were recorded. */
export interface RecordsQuery {
  status?: RecordStatus;
  /** Only this key's records. */
  key?: string;
  /** Only the records with this reason (`new`, `changed`, `absent`, an invalid row's code…). */
  reason?: string;
  /** Default 100. */
  limit?: number;
  cursor?: string;
}

/** A key of a sync: what the state remembers of it, and every record of it, newest run first. */
export interface KeyHistory {
  sync: string;
  key: string;
  /** Null when the state has nothing for the key (never planned, or the sync never ran). */
  state: KeyStateDocument | null;
  history: Listing<KeyHistoryDocument>;
}

/** Which alerts `Sluice.alerts` lists. */
export interface AlertsQuery {
  sync?: string;
  state?: 'raised' | 'resolved';
  /** Default 50. */
  limit?: number;
  cursor?: string;
}

const ALERT_STATES = ['raised', 'resolved'] as const;

/** How often a long-running service looks for due notifications. */
const NOTIFY_EVERY_MS = 1000;

/** The largest page any listing gives at once. */
const MAX_PAGE = 10_000;

/**
 * An open workspace: what the CLI, `sluice serve` and code using Sluice as a library drive. Opened
 * by `openWorkspace`; everything it opens (state store, warehouse connections) is closed by
 * `close()` (or `await using`). Failures are `SluiceError`s with a stable `code`.
 */
export class Sluice implements SyncRunner {
  readonly #parts: WorkspaceParts;
  readonly #tokens: ApiTokens;

  /** Use `openWorkspace`. */
  constructor(parts: WorkspaceParts) {
    this.#parts = parts;
    this.#tokens = new ApiTokens(() => parts.state());
  }

  /** The loaded workspace configuration (it holds secrets: never print it whole). */
  get workspace(): Workspace {
    return this.#parts.workspace;
  }

  /**
   * Tests the state store and every source and destination, runs every model returning no rows, and
   * checks each sync's key, mappings and template variables against its model's columns.
   */
  check(): Promise<CheckReport> {
    return checkWorkspace(this.#parts);
  }

  /** The sync named `name` as configured; `not_found` naming the syncs there are when there is none. */
  sync(name: string): SyncConfig {
    return this.#parts.sync(name);
  }

  /** Every sync of the workspace, in the file's order, with its newest run and its next scheduled one. */
  async syncs(): Promise<SyncOverview[]> {
    const state = await this.#parts.state();
    const now = new Date();
    return Promise.all(
      Object.values(this.workspace.syncs).map(async (sync) => {
        const [[last], next] = await Promise.all([
          state.runs.list({ sync: sync.name, limit: 1 }).then((page) => page.items),
          sync.schedule === undefined
            ? null
            : readScheduleFacts(state, sync.name, sync.schedule).then(
                (facts) => scheduleTimes(sync.schedule!, facts, now).nextRunAt,
              ),
        ]);
        return syncOverview(sync, last === undefined ? null : runDocument(last), next);
      }),
    );
  }

  /**
   * One sync: its overview (as `syncs()` lists it) and its configuration — key, mappings, bundle,
   * nulls, backfill, retry — never a secret. `not_found` when there is no such sync.
   */
  async describeSync(name: string): Promise<SyncDocument> {
    const sync = this.#parts.sync(name);
    const overview = (await this.syncs()).find((candidate) => candidate.name === sync.name);
    if (overview === undefined) throw new SluiceError('not_found', `no sync "${name}" in sluice.yaml`);
    return syncDocument(sync, overview);
  }

  /**
   * Runs the sync named `name` once, now, in this process, and answers its summary (SPEC §4). A run
   * that fails is a summary with `status: 'failed'` and its `error`, not a throw; what throws is a
   * run that cannot start: `not_found` (no such sync), `usage` (a full resync of events),
   * `sync_locked` (another run of it holds the lock), `state_error`.
   */
  run(name: string, options: RunOptions = {}): Promise<SyncRunResult> {
    return this.#parts.runSync(name, options);
  }

  /**
   * Queues a run of `name` (SPEC §6 `POST /syncs/{name}/runs`): it waits in the history as
   * `queued` until a worker starts it — `sluice serve` in this process, or any `serve`/`worker` on
   * shared PostgreSQL state (a run queued on SQLite state from a process that runs no worker waits
   * for a `serve` to find it). Answers the queued run; when a run of the same kind (dry or real) is
   * already queued, that one (raised to a full resync if this asked for one). A dry run is kept in
   * the history with its samples and changes nothing. Throws `not_found`, `usage` (a full resync of
   * events), `sync_locked` (a real run of the sync is running: wait for it).
   */
  requestRun(
    name: string,
    options: { dryRun?: boolean; fullResync?: boolean; retryAbandoned?: boolean } = {},
  ): Promise<RunDocument> {
    return this.#queueRun(name, options, 'manual');
  }

  /** `requestRun`, saying why the run is asked for (the worker's log tells). */
  async #queueRun(
    name: string,
    options: { dryRun?: boolean; fullResync?: boolean; retryAbandoned?: boolean },
    reason: RunRequestReason,
  ): Promise<RunDocument> {
    const sync = this.#parts.sync(name);
    const dryRun = options.dryRun ?? false;
    const fullResync = options.fullResync ?? false;
    if (fullResync && this.#parts.descriptor(sync).behaviour === 'send-once') {
      throw new SluiceError(
        'usage',
        `a full resync is refused for "${name}": it is an ${sync.object} sync, and events are sent once per key, ever`,
      );
    }
    const state = await this.#parts.state();
    if (!dryRun) {
      const held = await state.locks.holder(runLockName(name));
      if (held !== null) {
        const { holder } = held;
        throw new SluiceError(
          'sync_locked',
          `sync "${name}" is already running (${holder.label}, pid ${holder.pid} on ${holder.host}); ask again once it has finished`,
        );
      }
    }
    const queued = await state.runs.enqueue({
      sync: name,
      dryRun,
      fullResync,
      requestedAt: new Date().toISOString(),
    });
    const queue = await this.#parts.queue();
    await queue.request({
      sync: name,
      reason,
      runId: queued.runId,
      ...(dryRun ? { dryRun: true } : {}),
      ...(fullResync ? { fullResync: true } : {}),
      ...(options.retryAbandoned ? { retryAbandoned: true } : {}),
    });
    const run = await state.runs.get(queued.runId);
    if (run === null)
      throw new SluiceError('state_error', `the queued run ${queued.runId} is missing from the state`);
    return runDocument(run);
  }

  /**
   * Cancels a run (SPEC §6): a queued run ends at once, `failed` with code `interrupted`; a running
   * one is asked to stop, in whichever process runs it — its batches in flight finish and are
   * recorded, no new batch starts, and it ends `interrupted` within seconds. Answers the run as it
   * is now. Throws `not_found`, or `run_finished` for a run that has ended.
   */
  async cancelRun(runId: string): Promise<RunDocument> {
    const state = await this.#parts.state();
    const outcome = await state.runs.cancel(runId, new Date().toISOString());
    if (outcome === 'not_found') {
      throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
    }
    const run = await state.runs.get(runId);
    if (run === null) throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
    if (outcome === 'finished') {
      throw new SluiceError(
        'run_finished',
        `run ${runId} has already ended (${run.status}); there is nothing to cancel`,
      );
    }
    return runDocument(run);
  }

  /** Throws `state_error` when the state store cannot be reached (what `/health` answers 503 for). */
  async health(): Promise<void> {
    const state = await this.#parts.state();
    await state.runs.list({ limit: 1 });
  }

  /**
   * Starts taking runs from the queue in this process, `concurrency` at a time, until `stop()`
   * (what `sluice worker` runs; needs `state: postgres://…`). A worker that dies mid-run is taken
   * over by another within about a minute, nothing lost and nothing sent twice.
   */
  async startWorker(
    options: {
      concurrency?: number;
      log?: (event: WorkerEvent) => void;
      onExchange?: (sync: string, exchange: Exchange) => void;
    } = {},
  ): Promise<Worker> {
    const queue = await this.#parts.queue();
    if (options.log !== undefined) {
      const log = options.log;
      this.#parts.onQueueError((message) =>
        log({ event: 'worker_error', message: `the run queue: ${message}` }),
      );
    }
    const worker = new Worker({
      runner: this,
      state: await this.#parts.state(),
      queue,
      syncs: Object.keys(this.workspace.syncs),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.onExchange === undefined ? {} : { onExchange: options.onExchange }),
    });
    worker.start();
    return worker;
  }

  /**
   * Starts what `sluice serve` runs besides its HTTP API (SPEC §5): the scheduler (unless
   * `schedules: false`), each slot firing once across every `serve` on the state; a worker that
   * starts queued runs, `concurrency` at a time (default 4), in this process on SQLite state and
   * shared with every `serve` and `worker` on PostgreSQL state; and retention, applied daily.
   * `stop()` it to shut down gracefully.
   */
  async startService(options: ServiceOptions = {}): Promise<SluiceService> {
    const log = options.log ?? (() => {});
    const queue = await this.#parts.queue();
    const worker = await this.startWorker({
      concurrency: options.concurrency ?? 4,
      log,
      ...(options.onExchange === undefined ? {} : { onExchange: options.onExchange }),
    });
    const scheduler =
      options.schedules === false
        ? null
        : new Scheduler({
            syncs: Object.values(this.workspace.syncs),
            state: await this.#parts.state(),
            request: (sync) => this.#scheduledRun(sync),
            log,
          });
    return new SluiceService({
      worker,
      scheduler,
      notifications: await this.startNotifications({ log }),
      depth: () => queue.depth(),
      prune: () => this.prune({ ifDue: true }),
      log,
    });
  }

  /** A slot's run: queued (joining one already queued), or 'busy' while a real run of it goes. */
  async #scheduledRun(sync: string): Promise<ScheduleRequestAnswer> {
    try {
      return { runId: (await this.#queueRun(sync, {}, 'schedule')).run_id };
    } catch (error) {
      if (isSluiceError(error) && error.code === 'sync_locked') return 'busy';
      throw error;
    }
  }

  /** Run history, newest first, a page at a time. */
  async runs(query: RunsQuery = {}): Promise<Listing<RunDocument>> {
    if (query.sync !== undefined) this.#parts.sync(query.sync);
    if (query.status !== undefined && !RUN_STATUSES.includes(query.status)) {
      throw new SluiceError(
        'usage',
        `status must be one of ${RUN_STATUSES.join(', ')}, not ${JSON.stringify(query.status)}`,
      );
    }
    const state = await this.#parts.state();
    const page = await state.runs.list({
      ...(query.sync === undefined ? {} : { sync: query.sync }),
      ...(query.status === undefined ? {} : { status: query.status }),
      limit: pageLimit(query.limit, 20),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return listing(page, runDocument);
  }

  /** One run, live while it goes; null when the state has no run with that id. */
  async getRun(runId: string): Promise<RunDocument | null> {
    const run = await (await this.#parts.state()).runs.get(runId);
    return run === null ? null : runDocument(run);
  }

  /**
   * Writes a finished real run's records into its sync's `writeback:` table again (SPEC §7), as the
   * run did when it ended: the run's rows are replaced, never duplicated. For a writeback that
   * failed, once the warehouse is back. Answers what it did (a failure is its `error`, not a throw);
   * throws `not_found` for an unknown run, `usage` for a dry run, a run not finished, a sync without
   * `writeback:` or a run whose records retention removed.
   */
  async writeBack(runId: string): Promise<WritebackOutcome> {
    const state = await this.#parts.state();
    const run = await state.runs.get(runId);
    if (run === null) throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
    const sync = this.#parts.sync(run.sync);
    const refuse = (why: string) => new SluiceError('usage', `run ${runId} of "${run.sync}" ${why}`);
    if (sync.writeback === undefined)
      throw refuse('has no writeback: its sync has no writeback: in sluice.yaml');
    if (run.dryRun) throw refuse('is a dry run: it sent nothing to write back');
    if (run.finishedAt === null) throw refuse(`has not finished (${run.status})`);
    if (run.recordsPrunedAt !== undefined) throw refuse('has no records left: retention removed them');
    const target = sync.writeback;
    const outcome = await writeBackRun(
      sync,
      { runId, dryRun: false, finishedAt: run.finishedAt },
      state,
      () => this.#parts.writebackWriter(target.source),
    );
    return outcome as WritebackOutcome;
  }

  /** A run's per-row outcomes, a page at a time; `not_found` for an unknown run. */
  async records(runId: string, query: RecordsQuery = {}): Promise<Listing<RecordDocument>> {
    if (query.status !== undefined && !RECORD_STATUSES.includes(query.status)) {
      throw new SluiceError(
        'usage',
        `status must be one of ${RECORD_STATUSES.join(', ')}, not ${JSON.stringify(query.status)}`,
      );
    }
    const state = await this.#parts.state();
    if ((await state.runs.get(runId)) === null) {
      throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
    }
    const page = await state.runs.records(runId, {
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.key === undefined ? {} : { key: query.key }),
      ...(query.reason === undefined ? {} : { reason: query.reason }),
      limit: pageLimit(query.limit, 100),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return listing(page, recordDocument);
  }

  /**
   * A run's HTTP exchanges with the destination as the inspector kept them (SPEC §7), in the order
   * they happened, a page at a time; `not_found` for an unknown run.
   */
  async exchanges(
    runId: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<Listing<ExchangeDocument>> {
    const state = await this.#parts.state();
    if ((await state.runs.get(runId)) === null) {
      throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
    }
    const page = await state.exchanges.list(runId, {
      limit: pageLimit(query.limit, 50),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return listing(page, exchangeDocument);
  }

  /**
   * A key of a sync: its state (what was delivered, what is pending) and every record of it across
   * runs, newest first — every message sent for it, and why others were not — as far back as
   * retention keeps records.
   */
  async keyHistory(
    sync: string,
    key: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<KeyHistory> {
    this.#parts.sync(sync);
    const state = await this.#parts.state();
    const [keyState, page] = await Promise.all([
      state.ledger.keyStates(sync, [key]),
      state.runs.keyHistory(sync, key, {
        limit: pageLimit(query.limit, 50),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      }),
    ]);
    const found = keyState.get(key);
    return {
      sync,
      key,
      state: found === undefined ? null : keyStateDocument(found),
      history: listing(page, keyHistoryDocument),
    };
  }

  /** A model's first rows as a sync reads them, with the JSON type each column is sent as. */
  async previewModel(
    name: string,
    options: { limit?: number; signal?: AbortSignal } = {},
  ): Promise<ModelPreview> {
    const model = this.#parts.model(name);
    const limit = options.limit ?? 20;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new SluiceError('usage', `limit must be a whole number of 0 or more, got ${limit}`);
    }
    return previewModel(await this.#parts.source(model.source), model, limit, options.signal);
  }

  /**
   * Applies `retention:` now (SPEC §7): deletes the per-row records of older runs; their summaries
   * and each key's last delivered message stay. `reclaim` also rewrites the state so that it
   * shrinks (not while a run holds a lock). `ifDue` prunes only when no prune ran in the last day
   * (or retention, when shorter), across processes, and answers null otherwise — and also when the
   * workspace sets no retention, which without `ifDue` is a `usage` error.
   */
  prune(options: { reclaim?: boolean; ifDue?: boolean; now?: Date } = {}): Promise<PruneDocument | null> {
    return pruneState(this.#parts, options);
  }

  /**
   * Copies this workspace's whole state into another store (`postgres://…` or `sqlite:PATH`), so
   * that after switching `state:` to it nothing delivered is sent again (SPEC §5). Refuses a target
   * that holds a state unless `force`.
   */
  migrateState(to: string, options: { force?: boolean } = {}): Promise<MigrateDocument> {
    return migrateState(this.#parts, to, options);
  }

  /**
   * Makes an API token for `sluice serve` (SPEC §6) and answers it: the only time the token is
   * shown, since the state keeps only its SHA-256. `role` defaults to `viewer`, the least. `usage`
   * for a name that is not 1–64 letters, digits, `-`, `_` or `.`, or an unknown role; `conflict`
   * when a token of that name exists.
   */
  createToken(name: string, role: TokenRole = 'viewer'): Promise<CreatedToken> {
    return this.#tokens.create(name, role);
  }

  /** Every API token by name, with its role and last use (never the token or its hash). */
  listTokens(): Promise<TokenDocument[]> {
    return this.#tokens.list();
  }

  /** Deletes an API token: its next request is refused. `not_found` when there is none of that name. */
  revokeToken(name: string): Promise<void> {
    return this.#tokens.revoke(name);
  }

  /**
   * Who a presented API token is (its name and role), or null when it is no token of this
   * workspace's state: compared in constant time with every stored hash. Records the token's use at
   * most once a minute (`now`: the clock, for tests). Check what the role allows with `roleAllows`.
   */
  verifyToken(token: string, options: { now?: Date } = {}): Promise<VerifiedToken | null> {
    return this.#tokens.verify(token, options.now);
  }

  /** Whether the state holds any API token (`sluice serve` makes the first on loopback hosts). */
  hasTokens(): Promise<boolean> {
    return this.#tokens.any();
  }

  /**
   * Alerts (SPEC §7), open ones first, then by when they were raised, newest first, a page at a
   * time; and how each `notify:` target's deliveries go (a failing target shows its last failure).
   */
  async alerts(query: AlertsQuery = {}): Promise<AlertListing> {
    if (query.sync !== undefined) this.#parts.sync(query.sync);
    if (query.state !== undefined && !ALERT_STATES.includes(query.state)) {
      throw new SluiceError(
        'usage',
        `state must be one of ${ALERT_STATES.join(', ')}, not ${JSON.stringify(query.state)}`,
      );
    }
    const state = await this.#parts.state();
    const [page, health] = await Promise.all([
      state.alerts.list({
        ...(query.sync === undefined ? {} : { sync: query.sync }),
        ...(query.state === undefined ? {} : { state: query.state }),
        limit: pageLimit(query.limit, 50),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      }),
      state.notifications.health(),
    ]);
    return { ...listing(page, alertDocument), targets: targetDocuments(this.workspace.notify ?? {}, health) };
  }

  /**
   * Delivers the notifications that are due (SPEC §7: lifecycle webhooks and alerts), retrying
   * failures with backoff for at most `withinMs` (default a minute): what the CLI does before it
   * exits. What is still pending afterwards is delivered by the next run or `serve`. Answers how
   * many are still pending. Deliveries are told to `onObserve` listeners (and `log`).
   */
  async deliverNotifications(
    options: { withinMs?: number; log?: (event: ObserveEvent) => void } = {},
  ): Promise<{ pending: number }> {
    const stopLog = options.log === undefined ? null : this.#parts.onObserve(options.log);
    try {
      return await (await this.#deliverer()).drain({ withinMs: options.withinMs ?? 60_000 });
    } finally {
      stopLog?.();
    }
  }

  /**
   * Delivers notifications in the background, as they fall due, until `stop()` (what `serve` and
   * `worker` run): every process on a shared state takes its part, each notification sent by one.
   * `stop()` waits for the deliveries in flight and sends once more what is due by then (the last
   * runs' notifications), without waiting for retries.
   */
  async startNotifications(
    options: { log?: (event: ObserveEvent) => void } = {},
  ): Promise<{ stop(): Promise<void> }> {
    const stopLog = options.log === undefined ? null : this.#parts.onObserve(options.log);
    const deliverer = await this.#deliverer();
    deliverer.start(NOTIFY_EVERY_MS);
    return {
      stop: async () => {
        try {
          await deliverer.stop();
          await deliverer.deliverDue();
        } finally {
          stopLog?.();
        }
      },
    };
  }

  /** Tells `listener` of alerts raised and resolved and of notification deliveries; returns how to stop. */
  onObserve(listener: (event: ObserveEvent) => void): () => void {
    return this.#parts.onObserve(listener);
  }

  /** The deliverer of this workspace's notifications, its log going to `onObserve` listeners. */
  async #deliverer(): Promise<Deliverer> {
    return new Deliverer({
      state: await this.#parts.state(),
      targets: this.workspace.notify ?? {},
      log: (event) => this.#parts.observe(event),
    });
  }

  /** Closes the state store, sources and destinations. Closing twice is harmless. */
  close(): Promise<void> {
    return this.#parts.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A listing's page size: a whole number from 1 to MAX_PAGE, or the listing's default. */
function pageLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new SluiceError('usage', `limit must be a whole number from 1 to ${MAX_PAGE}, got ${limit}`);
  }
  return limit;
}
