import { randomUUID } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import { emptyCounts, type RunCounts } from '../core/run.js';
import type { StateStore } from '../state/state-store.js';
import { lostStateWarning } from './lost-state-warning.js';
import { dryRunLockName, SyncLock } from './run-lock.js';
import type { SyncRunResult } from './run-result.js';

/**
 * A run's bookkeeping around the pipe: its lock, its entry in the run history (opened, counts stored
 * every few seconds, closed with its status), its counts, and whether it was cancelled from
 * elsewhere. A dry run changes no state and takes no sync lock; one started from the queue is kept in
 * the history (under a lock of its own, so a dead one is found), any other has an id of its own.
 */
export class RunSession {
  readonly runId: string;
  readonly started: Date;
  readonly counts: RunCounts = emptyCounts();
  readonly #state: StateStore;
  readonly #lock: SyncLock | null;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #cancelled = new AbortController();
  #savingCounts: Promise<void> = Promise.resolve();

  private constructor(
    state: StateStore,
    lock: SyncLock | null,
    runId: string,
    started: Date,
    countsEveryMs: number | null,
  ) {
    this.#state = state;
    this.#lock = lock;
    this.runId = runId;
    this.started = started;
    // The counts of a running run are stored every few seconds, also while nothing settles (batches
    // waiting on retries), so a run that was killed is shown with what it did; the same beat reads
    // whether it was cancelled (SPEC §6: it stops within seconds, from whichever process asked).
    if (countsEveryMs !== null) {
      this.#timer = setInterval(() => this.#saveCounts(), countsEveryMs);
      this.#timer.unref();
    }
  }

  /**
   * Takes the sync's lock (a real run), warns of a state that may be lost, closes the runs of
   * processes that died, and opens the run (or starts the queued run `runId`).
   */
  static async begin(
    state: StateStore,
    sync: string,
    options: {
      dryRun: boolean;
      fullResync: boolean;
      /** A queued run to start (`runs.enqueue`). */
      runId: string | undefined;
      now: () => Date;
      /** sluice.yaml's `workspace_id`, when it has one. */
      workspaceId: string | undefined;
      onWarning: ((message: string) => void) | undefined;
      countsEveryMs: number | undefined;
    },
  ): Promise<RunSession> {
    const { dryRun, runId } = options;
    const recorded = !dryRun || runId !== undefined;
    // One real run of a sync at a time; a dry run changes nothing, so it needs no sync lock, but a
    // recorded one holds a lock of its own so that it is closed if its process dies.
    const lock = !recorded
      ? null
      : await SyncLock.acquire(state, sync, `sluice sync run ${sync}`, {
          ...(dryRun ? { name: dryRunLockName(runId!) } : {}),
        });
    const started = options.now();
    try {
      const warning = await lostStateWarning(state, sync, options.workspaceId, await state.workspaceId());
      if (warning !== null) options.onWarning?.(warning);
      if (!recorded) return new RunSession(state, null, `dry_${randomUUID()}`, started, null);
      if (!dryRun) await closeDeadRuns(state, sync, started);
      const id = await state.runs.start({
        sync,
        fullResync: options.fullResync,
        startedAt: started.toISOString(),
        ...(dryRun ? { dryRun: true } : {}),
        ...(runId === undefined ? {} : { runId }),
      });
      return new RunSession(state, lock, id, started, options.countsEveryMs ?? 2_000);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /** Aborted when the run lock is lost: another process may be running the sync. */
  get lockLost(): AbortSignal | undefined {
    return this.#lock?.lost;
  }

  /** Aborted (with the `interrupted` error the run ends with) when someone cancels the run. */
  get cancelled(): AbortSignal {
    return this.#cancelled.signal;
  }

  /** Stops storing counts as they go (the pipe is done). */
  stopCounting(): void {
    clearInterval(this.#timer);
  }

  /**
   * Closes the run with its final counts and status (and a dry run's samples), and releases the
   * lock. A dry run outside the history has neither.
   */
  async end(finished: Date, error: SyncRunResult['error'], report: object = {}): Promise<void> {
    this.stopCounting();
    try {
      if (this.#lock !== null) {
        await this.#savingCounts;
        await this.#state.runs.finish(this.runId, {
          status: error === null ? 'completed' : 'failed',
          counts: this.counts,
          finishedAt: finished.toISOString(),
          error,
          ...(Object.keys(report).length > 0 ? { report: JSON.stringify(report) } : {}),
        });
      }
    } finally {
      await this.#lock?.release();
    }
  }

  /** One write at a time; a count not stored is not worth failing a run over (end stores the final ones). */
  #saveCounts(): void {
    this.#savingCounts = this.#savingCounts
      .then(async () => {
        await this.#state.runs.updateCounts(this.runId, { ...this.counts });
        const run = await this.#state.runs.get(this.runId);
        if (run?.cancelRequestedAt !== undefined && !this.#cancelled.signal.aborted) {
          this.#cancelled.abort(
            new SluiceError(
              'interrupted',
              `cancelled at ${run.cancelRequestedAt}: batches in flight were finished and recorded; changes not yet sent stay pending, with their messageIds, for the next run`,
            ),
          );
        }
      })
      .catch(() => {});
  }
}

/**
 * Runs still marked `running` when we hold the lock belong to a process that died (killed, crashed,
 * or exited on a second signal): mark them failed so history tells the truth. Their work is not
 * lost — pending changes are picked up by this run.
 */
async function closeDeadRuns(state: StateStore, sync: string, now: Date): Promise<void> {
  // Asked by status, not among the newest N runs: a dead run stays marked however many came after.
  for (const run of (await state.runs.list({ sync, status: 'running', limit: 1_000 })).items) {
    // A dry run holds a lock of its own (takeover.ts closes it when its process dies).
    if (run.dryRun) continue;
    await state.runs.finish(run.runId, {
      status: 'failed',
      counts: run.counts,
      finishedAt: now.toISOString(),
      error: {
        code: 'interrupted',
        message:
          'the process running this sync stopped before it finished (killed or crashed); the next run picked up its pending changes',
      },
    });
  }
}
