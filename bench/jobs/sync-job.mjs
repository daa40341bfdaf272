// One Sluice sync run through the public API (`openWorkspace` from dist/index.js, what the CLI and
// library users call), against the compiled code in dist/.
import { openWorkspace } from '../../dist/index.js';

/**
 * Runs sync `name` of the workspace in `dir` once, its source as sluice.yaml sets it up (DuckDB's
 * `memory_limit` included). Returns the run's summary plus `elapsedMs`, measured from opening the
 * workspace to closing every connection: what a user of `sluice sync run` waits for.
 */
export async function runSyncJob({ dir, name, batchSize }) {
  const started = performance.now();
  const sluice = await openWorkspace(dir);
  try {
    const result = await sluice.run(name, batchSize ? { batchSize } : {});
    if (result.status !== 'completed') {
      throw new Error(`sync ${name} ended ${result.status}: ${JSON.stringify(result.error)}`);
    }
    await sluice.close();
    return { elapsedMs: performance.now() - started, runMs: result.duration_ms, counts: result.counts };
  } catch (error) {
    await sluice.close();
    throw error;
  }
}
