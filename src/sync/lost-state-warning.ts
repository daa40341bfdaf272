import type { StateStore } from '../state/state-store.js';

/** Where the README explains it; named in the warning so the user can look it up. */
export const STATE_README_SECTION = 'README, "Your state must persist"';

/**
 * The warning for a run that starts on an empty state while sluice.yaml has a `workspace_id`
 * (SPEC §3 "State must persist"), or null. The `workspace_id` says the workspace existed before
 * this state: `sluice init` makes both together (the store then takes the same id, see
 * StateStore.workspaceId), so a store with another id that knows nothing of the sync may be a
 * lost one — a fresh CI checkout, another machine, a deleted `.sluice/` — and every row is about
 * to be sent again. Checked once, before the run starts.
 */
export async function lostStateWarning(
  state: StateStore,
  sync: string,
  configuredId: string | undefined,
  storeId: string,
): Promise<string | null> {
  if (configuredId === undefined || configuredId === storeId) return null;
  if ((await state.ledger.countKeys(sync)).keys > 0) return null;
  // Any run of any sync in this store says it is not new: a workspace_id added by hand to a
  // workspace that has run here before is no lost state.
  if ((await state.runs.list({ limit: 1 })).items.length > 0) return null;
  return `warning: sync "${sync}" starts on an empty state, but sluice.yaml has a workspace_id: if this workspace ran before (another machine, a fresh CI checkout, a deleted .sluice/ folder), its state is lost and every row is sent again — events under their old messageIds, which Segment drops as copies only within its dedup window (at least 24 h), users and groups as new updates. Keep the state between runs (${STATE_README_SECTION}); on a workspace's first run here, ignore this.`;
}
