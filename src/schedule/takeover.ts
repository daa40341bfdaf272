import type { StateStore } from '../state/state-store.js';

/**
 * The syncs whose run was left `running` by a process that died (killed, crashed, a lost machine):
 * their lease in the state store ran out without being renewed. A worker asks for a run of each,
 * which closes the dead run as `interrupted` and finishes its work under the same messageIds
 * (sync/run-sync.ts closeDeadRuns: nothing lost, nothing doubled).
 */
export async function abandonedRuns(state: StateStore, syncs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const sync of syncs) {
    const running = (await state.runs.list({ sync, status: 'running', limit: 1 })).items;
    if (running.length === 0) continue;
    // The run lock's name (sync/run-lock.ts): held while a live process owns the run.
    if ((await state.locks.holder(`sync:${sync}`)) === null) found.push(sync);
  }
  return found;
}
