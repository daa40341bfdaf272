import { SluiceError } from '../core/errors.js';
import type { RunCounts } from '../core/run.js';
import type { ModelConfig, SyncConfig } from '../core/workspace.js';
import type { Destination, Exchange, ObjectDescriptor } from '../destinations/destination.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../state/state-store.js';
import { columnProblems, columnsError } from './column-problems.js';
import { detectorFor } from './detect-changes.js';
import { DryRunExecutor } from './dry-run-plan.js';
import { EventCursor } from './event-cursor.js';
import { ExchangeRecorder } from './exchange-recorder.js';
import { SendingExecutor } from './execute-plan.js';
import { readAhead } from './extract.js';
import { keyBatch } from './key-batch.js';
import { createRowMapper, type RowMapper } from './map.js';
import { messageIdNamespace } from './message-id.js';
import { observed } from './observed-destination.js';
import { countPlan, planBatch } from './plan-batch.js';
import { mappingSpecFor } from './plan-details.js';
import type { RemovedKeys } from './removed-keys.js';
import { type RetryStatus, RetryWaits } from './retry-waits.js';
import type { SyncRunResult } from './run-result.js';
import { RunSession } from './run-session.js';
import { describeError, interruptedError, type StopSignals, stopSignals } from './stop-signals.js';

/** The parts a run works with; built by the caller (sluice/workspace-parts.ts), never here. */
export interface SyncParts {
  source: Source;
  destination: Destination;
  state: StateStore;
  /** The destination's descriptor of the sync's object. */
  descriptor: ObjectDescriptor;
  /**
   * Sluice's version: part of every row's fingerprint, so a new version (whose mapping or
   * validation may differ) maps every row again once instead of trusting fingerprints from before.
   */
  version: string;
  /**
   * The `workspace_id` of sluice.yaml, when it has one: event messageIds derive from it, so they
   * survive a lost state (message-id.ts messageIdNamespace).
   */
  workspaceId?: string;
}

export interface RunSyncOptions {
  dryRun?: boolean;
  /**
   * Starts this queued run (`Sluice.requestRun`) rather than a new one; a dry run started so is kept
   * in the history with its samples. Refused with `run_finished` when it is no longer queued.
   */
  runId?: string;
  fullResync?: boolean;
  /** Try again the changes the sync's retry policy gave up on. */
  retryAbandoned?: boolean;
  /**
   * Graceful stop (SIGINT/SIGTERM): stop reading, let the batches in flight finish and be recorded,
   * end the run `failed` with code `interrupted`. What was planned but not sent stays pending, with
   * its messageId, for the next run.
   */
  signal?: AbortSignal;
  /** Abandons the batches in flight too (a second signal); the next run resends them under the same ids. */
  hardSignal?: AbortSignal;
  /** After a graceful stop, how long batches in flight may take before they are abandoned (default 30 s). */
  graceMs?: number;
  /** Rows per source batch (default 2,000). */
  batchSize?: number;
  /** Dry-run samples to keep, of planned rows and of invalid rows each (default 10). */
  sampleLimit?: number;
  /**
   * Told of the counts as they change, and of batches waiting on retries (null when none): a
   * progress display keeps the newest and shows it as often as it likes.
   */
  onProgress?: (counts: Readonly<RunCounts>, retrying: RetryStatus | null) => void;
  /** How often the counts of a running run are stored (default every 2 s). */
  countsEveryMs?: number;
  /**
   * Told once the run is in the history and holds its lock, before any row is read (lifecycle
   * notifications, log lines). A throw or rejection is reported with `onWarning` and the run goes on.
   */
  onStarted?: (run: { runId: string; dryRun: boolean }) => void | Promise<void>;
  /** Told of every HTTP exchange with the destination, redacted (metrics, the inspector). */
  onExchange?: (exchange: Exchange) => void;
  /** Told what the user should know before the run goes on (e.g. a state that may be lost): one line each. */
  onWarning?: (message: string) => void;
  now?: () => Date;
  /** Called at each crash-relevant point of the pipe; tests use it to kill the process there. */
  onFaultPoint?: (point: FaultPoint) => void;
}

/**
 * Moments where a crash must lose and double nothing: after a source batch was read, after changes
 * were made durable (before sending), and after the destination answered (before the outcome is
 * recorded).
 */
export type FaultPoint = 'read' | 'planned' | 'sent';

/**
 * Runs one sync through the pipe (ARCHITECTURE.md "One pipe"): each source batch is keyed
 * (key-batch.ts), its changes found by the run's detector (detect-changes.ts), planned
 * (plan-batch.ts) and carried out (execute-plan.ts; a dry run only samples, dry-run-plan.ts).
 * Rows the destination must not see are recorded as invalid and the run goes on; a run that cannot
 * complete (source down, destination refusing) ends `failed` with its error, never by throwing —
 * except for problems found before it starts (a refused --full-resync). A model lacking a column
 * the sync reads ends the run `failed` with `config_invalid` and its located problems, before any
 * row is used (the CLI exits 2).
 */
export async function runSync(
  sync: SyncConfig,
  model: ModelConfig,
  parts: SyncParts,
  options: RunSyncOptions = {},
): Promise<SyncRunResult> {
  const { source, state, descriptor } = parts;
  const now = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  const fullResync = options.fullResync ?? false;
  if (fullResync && descriptor.behaviour === 'send-once') {
    throw new SluiceError(
      'usage',
      `--full-resync is refused for "${sync.name}": it is an ${sync.object} sync, and events are sent once per key, ever — resending them would count them twice in Segment`,
    );
  }
  const mapper = syncMapper(sync, descriptor, parts);
  const run = await RunSession.begin(state, sync.name, {
    dryRun,
    runId: options.runId,
    fullResync,
    now,
    workspaceId: parts.workspaceId,
    onWarning: options.onWarning,
    countsEveryMs: options.countsEveryMs,
  });
  const { counts, runId } = run;
  if (options.onStarted !== undefined) {
    try {
      await options.onStarted({ runId, dryRun });
    } catch (error) {
      options.onWarning?.(
        `told of run ${runId}'s start, a listener failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  // A real run's exchanges are kept for the inspector (a dry run sends nothing).
  const inspector = dryRun
    ? null
    : new ExchangeRecorder({ state, runId, sync: sync.name, onWarning: options.onWarning, now });
  const onExchange = options.onExchange;
  const destination =
    inspector === null && onExchange === undefined
      ? parts.destination
      : observed(parts.destination, (exchange) => {
          inspector?.take(exchange);
          onExchange?.(exchange);
        });
  const stop = stopSignals(options, run.lockLost, run.cancelled);
  const retries = new RetryWaits();
  const progress = () => options.onProgress?.(counts, retries.status());
  const executor = dryRun
    ? new DryRunExecutor({
        state,
        sync: sync.name,
        destination,
        descriptor,
        now,
        stop,
        sampleLimit: options.sampleLimit ?? 10,
        progress,
      })
    : new SendingExecutor({
        state,
        sync,
        runId,
        destination,
        counts,
        now,
        stop,
        retries,
        progress,
        onFaultPoint: options.onFaultPoint,
      });
  let error: SyncRunResult['error'] = null;
  let cursor: EventCursor | null = null;

  try {
    const context = {
      workspaceId: messageIdNamespace(descriptor.behaviour, await state.workspaceId(), parts.workspaceId),
      sync: sync.name,
      behaviour: descriptor.behaviour,
      fullResync,
      retryAbandoned: options.retryAbandoned ?? false,
    };
    const { detector, removed } = await detectorFor(state, sync, descriptor.behaviour, fullResync, {
      source,
      salt: mapper.salt,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    const checkColumns = (columns: readonly string[]) => assertColumns(sync, descriptor, columns);
    cursor = await EventCursor.open(state, sync, {
      retryAbandoned: context.retryAbandoned,
      started: run.started,
    });
    const filter = await cursor?.filter(source, model, {
      checkColumns,
      ...(stop.graceful ? { signal: stop.graceful } : {}),
    });
    const batches = detector.extract(source, model.sql, sync.key.column, {
      batchSize: options.batchSize ?? 2000,
      ...(stop.graceful ? { signal: stop.graceful } : {}),
      origin: model.origin,
      checkColumns,
      ...(filter === undefined ? {} : { filter }),
    });
    // The next batch is read while this one is looked up (on the state store's thread) and planned.
    for await (const rows of readAhead(batches)) {
      options.onFaultPoint?.('read');
      // `extracted` counts the rows read: with a cursor, its window's (SPEC §4).
      counts.extracted += rows.length;
      cursor?.see(rows);
      const keyed = keyBatch(rows, mapper);
      const plan = planBatch(keyed, await detector.detect(keyed), mapper, context);
      countPlan(counts, plan);
      if (!(await executor.execute(plan))) break;
    }
    await executor.finish();
    // The whole model was read: what it lacks now is removed.
    if (removed !== null) {
      counts.removed = await countRemoved(removed, {
        sync,
        model,
        source,
        mapper,
        runId,
        dryRun,
        stop,
        options,
      });
      progress();
    }
  } catch (caught) {
    await executor.abandon();
    error = describeError(stop.graceful?.aborted ? interruptedError(stop.graceful.reason) : caught);
    // The source names itself; which model failed is known only here.
    if (error.code === 'source_error') error.message = `model "${sync.model}": ${error.message}`;
  } finally {
    stop.dispose();
    run.stopCounting();
    await inspector?.flush();
  }

  // Only a real run that completed with no failed row moves the mark (event-cursor.ts says why).
  if (cursor !== null && error === null && !dryRun && counts.failed === 0)
    await saveMark(cursor, sync, options);

  const finished = now();
  const report = executor instanceof DryRunExecutor ? executor.report(counts) : {};
  await run.end(finished, error, report);
  return {
    run_id: runId,
    sync: sync.name,
    status: error === null ? 'completed' : 'failed',
    dry_run: dryRun,
    counts,
    started_at: run.started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - run.started.getTime(),
    error,
    ...report,
  };
}

/**
 * The per-row stage of the sync (map.ts): its fingerprints are salted with everything that decides a
 * message besides the row.
 */
function syncMapper(sync: SyncConfig, descriptor: ObjectDescriptor, parts: SyncParts): RowMapper {
  const spec = mappingSpecFor(sync, descriptor);
  return createRowMapper({
    keyColumn: sync.key.column,
    object: sync.object,
    mapping: compileMapping(spec),
    destination: parts.destination,
    salt: JSON.stringify({
      version: parts.version,
      destination: parts.destination.type,
      object: sync.object,
      spec,
    }),
  });
}

/**
 * Keeps the event cursor's mark. A mark that could not be kept costs only rows read again (the next
 * run's window starts at the old mark, and keys already delivered stay unchanged): a warning, not a
 * failed run.
 */
async function saveMark(cursor: EventCursor, sync: SyncConfig, options: RunSyncOptions): Promise<void> {
  try {
    await cursor.save();
  } catch (caught) {
    options.onWarning?.(
      `warning: sync "${sync.name}": its cursor's mark was not kept this run (${describeError(caught).message}); the next run reads from the mark before`,
    );
  }
}

/**
 * Removed keys (SPEC §3), once every row was delivered or recorded: failing to count them (the
 * warehouse went away for the keys-only read) is worth a warning, not a failed run; the count is
 * then 0 and the next run counts them.
 */
async function countRemoved(
  removed: RemovedKeys,
  run: {
    sync: SyncConfig;
    model: ModelConfig;
    source: Source;
    mapper: RowMapper;
    runId: string;
    dryRun: boolean;
    stop: StopSignals;
    options: RunSyncOptions;
  },
): Promise<number> {
  const { sync, model, stop } = run;
  try {
    return await removed.finish({
      run: run.runId,
      record: !run.dryRun,
      source: run.source,
      modelSql: model.sql,
      keyColumn: sync.key.column,
      origin: model.origin,
      mapper: run.mapper,
      ...(stop.graceful ? { signal: stop.graceful } : {}),
    });
  } catch (caught) {
    if (stop.graceful?.aborted) throw caught;
    run.options.onWarning?.(
      `warning: sync "${sync.name}": removed keys were not counted this run (${describeError(caught).message}); the next run counts them`,
    );
    return 0;
  }
}

/**
 * A model whose columns do not fit the sync fails the run before any row is used, each problem
 * naming the sync, the mapping and its line (config_invalid: exit 2).
 */
function assertColumns(sync: SyncConfig, descriptor: ObjectDescriptor, columns: readonly string[]): void {
  const problems = columnProblems(sync, descriptor, columns);
  if (problems.length > 0) throw columnsError(sync, problems);
}
