import type { SyncRunResult } from './run-result.js';
import type { RunSyncOptions } from './run-sync.js';

/**
 * The port through which schedules, queues and workers start runs: "run the sync named `name` once,
 * now, here". The public API's `Sluice` implements it; nothing above `sync/` wires a run by hand.
 */
export interface SyncRunner {
  run(name: string, options?: RunSyncOptions): Promise<SyncRunResult>;
}
