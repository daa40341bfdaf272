import type { RunSummary } from '../core/run.js';
import type { StateStore } from '../state/state-store.js';
import { dryRunLockName, runLockName } from '../sync/run-lock.js';

/** How many running runs of a sync are looked at: more than one real run plus the dry runs going. */
const RUNNING_LOOKED_AT = 100;

/**
 * The syncs whose run was left `running` by a process that died (killed, crashed, a lost machine):
 * their lease in the state store ran out without being renewed. A worker asks for a run of each,
 * which closes the dead run as `interrupted` and finishes its work under the same messageIds
 * (sync/run-session.ts closeDeadRuns: nothing lost, nothing doubled).
 */
export async function abandonedRuns(state: StateStore, syncs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const sync of syncs) {
    const running = await runningRuns(state, sync);
    if (!running.some((run) => !run.dryRun)) continue;
    if ((await state.locks.holder(runLockName(sync))) === null) found.push(sync);
  }
  return found;
}

/**
 * Closes the dry runs kept in the history whose process died (their own lease ran out): nothing of
 * theirs is pending, so there is nothing to take over, only the history to put right.
 */
export async function closeDeadDryRuns(
  state: StateStore,
  syncs: readonly string[],
  now: Date,
): Promise<number> {
  let closed = 0;
  for (const sync of syncs) {
    for (const run of await runningRuns(state, sync)) {
      if (!run.dryRun || (await state.locks.holder(dryRunLockName(run.runId))) !== null) continue;
      await state.runs.finish(run.runId, {
        status: 'failed',
        counts: run.counts,
        finishedAt: now.toISOString(),
        error: {
          code: 'interrupted',
          message: 'the process running this dry run stopped before it finished',
        },
      });
      closed++;
    }
  }
  return closed;
}

async function runningRuns(state: StateStore, sync: string): Promise<RunSummary[]> {
  return (await state.runs.list({ sync, status: 'running', limit: RUNNING_LOOKED_AT })).items;
}
