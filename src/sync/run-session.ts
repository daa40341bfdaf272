import { randomUUID } from 'node:crypto';
import { emptyCounts, type RunCounts } from '../core/run.js';
import type { StateStore } from '../state/state-store.js';
import { lostStateWarning } from './lost-state-warning.js';
import { SyncLock } from './run-lock.js';
import type { SyncRunResult } from './run-result.js';

/**
 * A run's bookkeeping around the pipe: its lock, its entry in the run history (opened, counts stored
 * every few seconds, closed with its status), and its counts. A dry run changes nothing: no lock, no
 * history, an id of its own.
 */
export class RunSession {
  readonly runId: string;
  readonly started: Date;
  readonly counts: RunCounts = emptyCounts();
  readonly #state: StateStore;
  readonly #lock: SyncLock | null;
  readonly #timer: NodeJS.Timeout | undefined;
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
    // waiting on retries), so a run that was killed is shown with what it did.
    if (countsEveryMs !== null) {
      this.#timer = setInterval(() => this.#saveCounts(), countsEveryMs);
      this.#timer.unref();
    }
  }

  /**
   * Takes the sync's lock (a real run), warns of a state that may be lost, closes the runs of
   * processes that died, and opens the run.
   */
  static async begin(
    state: StateStore,
    sync: string,
    options: {
      dryRun: boolean;
      fullResync: boolean;
      now: () => Date;
      /** sluice.yaml's `workspace_id`, when it has one. */
      workspaceId: string | undefined;
      onWarning: ((message: string) => void) | undefined;
      countsEveryMs: number | undefined;
    },
  ): Promise<RunSession> {
    const { dryRun } = options;
    // One real run of a sync at a time; a dry run changes nothing, so it needs no lock.
    const lock = dryRun ? null : await SyncLock.acquire(state, sync, `sluice sync run ${sync}`);
    const started = options.now();
    try {
      const warning = await lostStateWarning(state, sync, options.workspaceId, await state.workspaceId());
      if (warning !== null) options.onWarning?.(warning);
      if (dryRun) return new RunSession(state, null, `dry_${randomUUID()}`, started, null);
      await closeDeadRuns(state, sync, started);
      const runId = await state.runs.start({
        sync,
        fullResync: options.fullResync,
        startedAt: started.toISOString(),
      });
      return new RunSession(state, lock, runId, started, options.countsEveryMs ?? 2_000);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /** Aborted when the run lock is lost: another process may be running the sync. */
  get lockLost(): AbortSignal | undefined {
    return this.#lock?.lost;
  }

  /** Stops storing counts as they go (the pipe is done). */
  stopCounting(): void {
    clearInterval(this.#timer);
  }

  /** Closes the run with its final counts and status, and releases the lock. */
  async end(finished: Date, error: SyncRunResult['error']): Promise<void> {
    this.stopCounting();
    try {
      // A dry run has no lock and no entry in the history.
      if (this.#lock !== null) {
        await this.#savingCounts;
        await this.#state.runs.finish(this.runId, {
          status: error === null ? 'completed' : 'failed',
          counts: this.counts,
          finishedAt: finished.toISOString(),
          error,
        });
      }
    } finally {
      await this.#lock?.release();
    }
  }

  /** One write at a time; a count not stored is not worth failing a run over (end stores the final ones). */
  #saveCounts(): void {
    this.#savingCounts = this.#savingCounts
      .then(() => this.#state.runs.updateCounts(this.runId, { ...this.counts }))
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
