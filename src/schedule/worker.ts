import { setTimeout as sleep } from 'node:timers/promises';
import { isSluiceError } from '../core/errors.js';
import type { Exchange } from '../destinations/destination.js';
import type { StateStore } from '../state/state-store.js';
import type { SyncRunResult } from '../sync/run-result.js';
import type { SyncRunner } from '../sync/sync-runner.js';
import type { RunQueue, TakenRequest } from './run-queue.js';
import { abandonedRuns, closeDeadDryRuns } from './takeover.js';

/** What a worker tells its log: one structured event at a time. */
export type WorkerEvent =
  | { event: 'worker_started'; concurrency: number }
  | { event: 'run_started'; sync: string; request: string; reason: string; run_id?: string }
  | { event: 'run_finished'; sync: string; request: string; result: SyncRunResult }
  | { event: 'run_refused'; sync: string; request: string; code: string; message: string; requeued: boolean }
  | { event: 'takeover_requested'; sync: string }
  | { event: 'queued_run_requested'; sync: string; run_id: string }
  | { event: 'dead_dry_runs_closed'; count: number }
  | { event: 'worker_error'; message: string }
  | { event: 'worker_stopped' };

export interface WorkerOptions {
  runner: SyncRunner;
  state: StateStore;
  queue: RunQueue;
  /** The workspace's syncs: requests for others (a workspace changed under the queue) are dropped. */
  syncs: readonly string[];
  /** Runs at once in this process (default 1). */
  concurrency?: number;
  /** How long to wait when the queue is empty (default 1 s). */
  pollMs?: number;
  /** How often to look for runs whose process died (default 10 s; leases lapse after 30 s). */
  takeoverEveryMs?: number;
  /** When a requested sync is running elsewhere, the request is asked again this much later (default 10 s). */
  busyRetryMs?: number;
  /**
   * A run queued longer than this without starting is asked for again (its request was lost with
   * the process that took it, or with an in-memory queue); default 30 s. On an in-memory queue,
   * every queued run is asked for again when the worker starts (the queue that had them is gone); a
   * shared queue still holds its requests, and asking for those again would only hand the same run
   * to two workers at once (one would be refused).
   */
  requeueAfterMs?: number;
  now?: () => Date;
  log?: (event: WorkerEvent) => void;
  /** Told of every HTTP exchange of every run with its destination (metrics). */
  onExchange?: (sync: string, exchange: Exchange) => void;
}

/**
 * Takes run requests from the queue and runs them, up to `concurrency` at a time, until stopped
 * (SPEC §5 `sluice worker`). One run per sync across every worker is the state store's lease: a
 * request for a sync that runs elsewhere is asked again later, to run after it. Every
 * `takeoverEveryMs` it also asks for a run of each sync whose run's process died, so another worker
 * finishes that run's work within about a minute.
 */
export class Worker {
  readonly #options: Required<Omit<WorkerOptions, 'log' | 'onExchange'>> &
    Pick<WorkerOptions, 'log' | 'onExchange'>;
  readonly #stopping = new AbortController();
  /** Aborts the runs' batches in flight too: a second stop, or the grace period ran out. */
  readonly #hardStop = new AbortController();
  /** Resolves once `stop` is called: one promise, however often the loop waits on it. */
  readonly #stopped = new Promise<void>((resolve) =>
    this.#stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  readonly #active = new Set<Promise<void>>();
  #loop: Promise<void> | null = null;
  #takeover: NodeJS.Timeout | undefined;

  constructor(options: WorkerOptions) {
    this.#options = {
      concurrency: 1,
      pollMs: 1000,
      takeoverEveryMs: 10_000,
      busyRetryMs: 10_000,
      requeueAfterMs: 30_000,
      now: () => new Date(),
      ...options,
    };
  }

  start(): void {
    if (this.#loop !== null) return;
    this.#log({ event: 'worker_started', concurrency: this.#options.concurrency });
    this.#loop = this.#run();
    this.#takeover = setInterval(
      () => void this.#sweep(this.#options.requeueAfterMs),
      this.#options.takeoverEveryMs,
    );
    this.#takeover.unref();
    void this.#sweep(this.#options.queue.shared ? this.#options.requeueAfterMs : 0);
  }

  /**
   * Stops taking requests, lets each run finish and record the batches in flight (SIGTERM), and
   * resolves once every run has ended. Runs stopped this way end `interrupted`; each is asked for
   * again, so another worker carries on at once. `hard` also abandons batches in flight (they are
   * resent under the same messageIds by the next run).
   */
  async stop(options: { hard?: boolean } = {}): Promise<void> {
    this.#stopping.abort();
    if (options.hard) this.#hardStop.abort();
    clearInterval(this.#takeover);
    await this.#loop;
    await Promise.allSettled([...this.#active]);
    this.#log({ event: 'worker_stopped' });
  }

  /** Runs going in this process. */
  get running(): number {
    return this.#active.size;
  }

  async #run(): Promise<void> {
    const { queue, concurrency, pollMs } = this.#options;
    while (!this.#stopping.signal.aborted) {
      if (this.#active.size >= concurrency) {
        await Promise.race([...this.#active, this.#stopped]);
        continue;
      }
      let taken: TakenRequest | null;
      try {
        taken = await queue.take();
      } catch (error) {
        this.#log({ event: 'worker_error', message: `taking a run request failed: ${messageOf(error)}` });
        taken = null;
      }
      if (taken === null) {
        await sleep(pollMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
        continue;
      }
      const handling = this.#handle(taken).finally(() => this.#active.delete(handling));
      this.#active.add(handling);
    }
  }

  async #handle(taken: TakenRequest): Promise<void> {
    const { runner, syncs, busyRetryMs, onExchange } = this.#options;
    const base = { sync: taken.sync, request: taken.id };
    if (!syncs.includes(taken.sync)) {
      this.#log({
        ...base,
        event: 'run_refused',
        code: 'not_found',
        message: `no sync "${taken.sync}" in this workspace`,
        requeued: false,
      });
      return;
    }
    this.#log({
      ...base,
      event: 'run_started',
      reason: taken.reason,
      ...(taken.runId === undefined ? {} : { run_id: taken.runId }),
    });
    try {
      const result = await runner.run(taken.sync, {
        ...(taken.runId === undefined ? {} : { runId: taken.runId }),
        ...(taken.dryRun ? { dryRun: true } : {}),
        ...(taken.fullResync ? { fullResync: true } : {}),
        ...(taken.retryAbandoned ? { retryAbandoned: true } : {}),
        signal: this.#stopping.signal,
        hardSignal: this.#hardStop.signal,
        ...(onExchange === undefined
          ? {}
          : { onExchange: (exchange: Exchange) => onExchange(taken.sync, exchange) }),
      });
      this.#log({ ...base, event: 'run_finished', result });
      // Stopped part way by SIGTERM (not cancelled): another worker carries on with what is pending.
      if (result.error?.code === 'interrupted' && this.#stopping.signal.aborted && !result.dry_run) {
        await this.#requestAgain({ ...taken, runId: undefined }, 'takeover', 0);
      }
    } catch (error) {
      const code = isSluiceError(error) ? error.code : 'internal';
      // Running elsewhere: a takeover is done by whoever holds it; any other request runs after it.
      // The state store unreachable: try again later. Anything else (a queued run cancelled or
      // started elsewhere, a refused full resync of events, an unexpected error) would fail the
      // same way again: logged, not repeated.
      const again = (code === 'sync_locked' && taken.reason !== 'takeover') || code === 'state_error';
      this.#log({ ...base, event: 'run_refused', code, message: messageOf(error), requeued: again });
      if (again)
        await this.#requestAgain(taken, taken.reason === 'takeover' ? 'takeover' : 'busy', busyRetryMs);
    }
  }

  async #requestAgain(taken: TakenRequest, reason: TakenRequest['reason'], delayMs: number): Promise<void> {
    const { id: _id, runId, ...rest } = taken;
    const request = runId === undefined ? rest : { ...rest, runId };
    try {
      await this.#options.queue.request({ ...request, reason }, delayMs);
    } catch (error) {
      this.#log({
        event: 'worker_error',
        message: `asking again for a run of "${taken.sync}" failed: ${messageOf(error)}`,
      });
    }
  }

  /**
   * Asks for a run of each sync whose run's process died, for every queued run whose request was
   * lost (queued longer than `queuedForMs`), and closes dry runs whose process died.
   */
  async #sweep(queuedForMs: number): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    const { state, queue, syncs, now } = this.#options;
    try {
      for (const sync of await abandonedRuns(state, syncs)) {
        if ((await queue.request({ sync, reason: 'takeover' })) !== null) {
          this.#log({ event: 'takeover_requested', sync });
        }
      }
      const closed = await closeDeadDryRuns(state, syncs, now());
      if (closed > 0) this.#log({ event: 'dead_dry_runs_closed', count: closed });
      await this.#askForQueued(now().getTime() - queuedForMs);
    } catch (error) {
      this.#log({
        event: 'worker_error',
        message: `looking for runs whose process died or whose request was lost failed: ${messageOf(error)}`,
      });
    }
  }

  /** Asks again for the queued runs of this workspace asked for before `before` (ms). */
  async #askForQueued(before: number): Promise<void> {
    const { state, queue, syncs } = this.#options;
    let cursor: string | undefined;
    do {
      const page = await state.runs.list({ status: 'queued', limit: 100, ...(cursor ? { cursor } : {}) });
      for (const run of page.items) {
        if (!syncs.includes(run.sync) || Date.parse(run.requestedAt ?? run.startedAt) > before) continue;
        const request = {
          sync: run.sync,
          reason: 'manual' as const,
          runId: run.runId,
          ...(run.dryRun ? { dryRun: true } : {}),
          ...(run.fullResync ? { fullResync: true } : {}),
        };
        if ((await queue.request(request)) !== null) {
          this.#log({ event: 'queued_run_requested', sync: run.sync, run_id: run.runId });
        }
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  #log(event: WorkerEvent): void {
    this.#options.log?.(event);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
