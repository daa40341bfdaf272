// One Sluice sync run, wired the way the CLI wires it (dist/cli/runtime.js) and run through the
// public `runSync`, against the compiled code in dist/.
import { Runtime } from '../../dist/cli/runtime.js';
import { runSync } from '../../dist/sync/run-sync.js';

/**
 * Runs sync `name` of the workspace in `dir` once, its source as sluice.yaml sets it up (DuckDB's
 * `memory_limit` included). Returns the run's summary plus `elapsedMs`, measured from opening the
 * workspace to closing every connection: what a user of `sluice sync run` waits for.
 */
export async function runSyncJob({ dir, name, batchSize }) {
  const started = performance.now();
  const runtime = await Runtime.open(dir);
  try {
    const sync = runtime.sync(name);
    const model = runtime.workspace.models[sync.model];
    const parts = await runtime.syncParts(sync);
    const result = await runSync(sync, model, parts, batchSize ? { batchSize } : {});
    if (result.status !== 'completed') {
      throw new Error(`sync ${name} ended ${result.status}: ${JSON.stringify(result.error)}`);
    }
    await runtime.close();
    return { elapsedMs: performance.now() - started, runMs: result.duration_ms, counts: result.counts };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
