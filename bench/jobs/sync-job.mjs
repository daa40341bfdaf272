// One Sluice sync run, wired the way the CLI wires it (dist/cli/runtime.js) and run through the
// public `runSync`, against the compiled code in dist/.
import { Runtime } from '../../dist/cli/runtime.js';
import { runSync } from '../../dist/sync/run-sync.js';

/**
 * Runs sync `name` of the workspace in `dir` once. `memoryLimit` sets DuckDB's `memory_limit` on
 * the model's source (sluice.yaml has no setting for it yet, so the source is built here with the
 * same class the registry uses). Returns the run's summary plus `elapsedMs`, measured from opening
 * the workspace to closing every connection: what a user of `sluice sync run` waits for.
 */
export async function runSyncJob({ dir, name, memoryLimit, batchSize }) {
  const started = performance.now();
  const runtime = await Runtime.open(dir);
  let ownSource = null;
  try {
    const sync = runtime.sync(name);
    const model = runtime.workspace.models[sync.model];
    let parts = await runtime.syncParts(sync);
    if (memoryLimit) {
      const config = runtime.workspace.sources[model.source];
      const [{ DuckDBSource }, driver] = await Promise.all([
        import('../../dist/sources/duckdb/duckdb-source.js'),
        import('@duckdb/node-api'),
      ]);
      ownSource = new DuckDBSource(
        driver,
        { type: 'duckdb', path: config.path, memoryLimit },
        { name: model.source, workspaceDir: runtime.workspace.dir },
      );
      parts = { ...parts, source: ownSource };
    }
    const result = await runSync(sync, model, parts, batchSize ? { batchSize } : {});
    if (result.status !== 'completed') {
      throw new Error(`sync ${name} ended ${result.status}: ${JSON.stringify(result.error)}`);
    }
    await ownSource?.close();
    await runtime.close();
    return { elapsedMs: performance.now() - started, runMs: result.duration_ms, counts: result.counts };
  } catch (error) {
    await ownSource?.close().catch(() => {});
    await runtime.close();
    throw error;
  }
}
