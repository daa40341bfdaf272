import { randomUUID } from 'node:crypto';
import { isSluiceError, SluiceError } from '../core/errors.js';
import { emptyCounts, type RunCounts } from '../core/run.js';
import type { ModelConfig, SyncConfig } from '../core/workspace.js';
import type {
  Destination,
  EncodedMessage,
  MessageOutcome,
  ObjectDescriptor,
} from '../destinations/destination.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import type { Source } from '../sources/source.js';
import type { KeyState, SeenEntry, StateStore } from '../state/state-store.js';
import { columnProblems, columnsError } from './column-problems.js';
import { type Decision, decide } from './diff.js';
import { extractRows, readAhead } from './extract.js';
import { Loader } from './load.js';
import { lostStateWarning } from './lost-state-warning.js';
import { createRowMapper, type InvalidRow, type KeyedRow, type MappedRow } from './map.js';
import { messageIdNamespace } from './message-id.js';
import { explainSample, mappingSpecFor } from './plan-details.js';
import { deliveryResults, type InFlight, invalidRecords } from './record.js';
import { RemovedKeys } from './removed-keys.js';
import { type RetryStatus, RetryWaits } from './retry-waits.js';
import { SyncLock } from './run-lock.js';
import type { DryRunSample, InvalidSample, SyncRunResult } from './run-result.js';

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
 * Runs one sync through the pipe: extract → map → diff → load → record (ARCHITECTURE.md).
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
  const { source, destination, state, descriptor } = parts;
  const now = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  const fullResync = options.fullResync ?? false;
  if (fullResync && descriptor.behaviour === 'send-once') {
    throw new SluiceError(
      'usage',
      `--full-resync is refused for "${sync.name}": it is an ${sync.object} sync, and events are sent once per key, ever — resending them would count them twice in Segment`,
    );
  }
  const spec = mappingSpecFor(sync, descriptor);
  const mapping = compileMapping(spec);
  const mapper = createRowMapper({
    keyColumn: sync.key.column,
    object: sync.object,
    mapping,
    destination,
    salt: JSON.stringify({
      version: parts.version,
      destination: destination.type,
      object: sync.object,
      spec,
    }),
  });

  // One real run of a sync at a time; a dry run changes nothing, so it needs no lock.
  const lock = dryRun ? null : await SyncLock.acquire(state, sync.name, `sluice sync run ${sync.name}`);
  const started = now();
  let runId: string;
  try {
    const warning = await lostStateWarning(state, sync.name, parts.workspaceId, await state.workspaceId());
    if (warning !== null) options.onWarning?.(warning);
    if (!dryRun) await closeDeadRuns(state, sync.name, started);
    runId = dryRun
      ? `dry_${randomUUID()}`
      : await state.runs.start({ sync: sync.name, fullResync, startedAt: started.toISOString() });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const counts = emptyCounts();
  const samples: DryRunSample[] = [];
  const invalidSamples: InvalidSample[] = [];
  const sampleLimit = options.sampleLimit ?? 10;
  const stop = stopSignals(options, lock?.lost);
  const retries = new RetryWaits();
  const progress = () => options.onProgress?.(counts, retries.status());
  const loader = dryRun
    ? null
    : new Loader<InFlight>(
        destination,
        (batch, outcomes, inFlight) => settle(batch, outcomes, inFlight),
        stop.hard,
        (batch, notice) => {
          retries.update(batch, notice);
          if (notice !== null) progress();
        },
      );
  // The counts of a running run are stored every few seconds, also while nothing settles (batches
  // waiting on retries), so a run that was killed is shown with what it did. One write at a time;
  // a count not stored is not worth failing a run over (finishRun stores the final ones).
  let savingCounts: Promise<void> = Promise.resolve();
  const saveCounts = () => {
    savingCounts = savingCounts.then(() => state.runs.updateCounts(runId, { ...counts })).catch(() => {});
  };
  const countsTimer = dryRun ? undefined : setInterval(saveCounts, options.countsEveryMs ?? 2_000);
  countsTimer?.unref();
  let error: { code: string; message: string } | null = null;

  async function settle(
    batch: readonly EncodedMessage[],
    outcomes: readonly MessageOutcome[],
    inFlight: readonly InFlight[],
  ): Promise<void> {
    options.onFaultPoint?.('sent');
    const results = deliveryResults(batch, outcomes, inFlight, sync.retry, now());
    await state.ledger.recordDeliveries(sync.name, runId, results);
    // Counted once recorded: a summary never claims a delivery the state store does not know of.
    for (const result of results) counts[result.status]++;
    progress();
  }

  /**
   * Durable before sent (the changes that need it, see Decision.durable): a crash from here on is
   * finished by the next run with the same ids.
   */
  async function sendPlanned(planned: readonly Planned[], plannedAt: string): Promise<void> {
    const durable = planned.filter(({ decision }) => decision.durable);
    if (durable.length > 0) {
      await state.ledger.savePlanned(
        sync.name,
        durable.map(({ row, decision }) => ({
          key: row.key,
          hash: row.hash,
          messageId: decision.messageId,
          generation: decision.generation,
          resetAttempts: decision.attempts === 0,
        })),
      );
    }
    options.onFaultPoint?.('planned');
    for (const { row, decision } of planned) {
      const message = destination.encode(row.prepared, row.key, decision.messageId, plannedAt);
      await loader!.push(message, {
        hash: row.hash,
        sourceHash: row.sourceHash,
        generation: decision.generation,
        reason: decision.reason,
        attempts: decision.attempts,
        firstFailedAt: decision.firstFailedAt,
      });
    }
  }

  try {
    const workspaceId = messageIdNamespace(
      descriptor.behaviour,
      await state.workspaceId(),
      parts.workspaceId,
    );
    // backfill: false — until the sync has completed a run, rows are remembered, not sent. Key state
    // alone would not tell: a first run that died half-way through remembering the baseline would
    // make the next run send the other half.
    const baseline =
      descriptor.behaviour === 'send-once' &&
      !sync.backfill &&
      (await state.runs.lastCompleted(sync.name)) === null;
    // A sync with no key state at all (its first run) has nothing to look up: every key is new, and
    // no other run can add state meanwhile (one run of a sync at a time). Skipping the lookups keeps
    // the state store's thread free for recording deliveries.
    const keyCounts = await state.ledger.countKeys(sync.name);
    const firstRun = keyCounts.keys === 0;
    // Removed keys (SPEC §3): keys delivered before that this run's model lacks, counted from what
    // the lookups find (removed-keys.ts). A first run has nothing delivered before.
    const removed = firstRun ? null : RemovedKeys.start(state, sync.name, keyCounts);
    const context = {
      workspaceId,
      sync: sync.name,
      behaviour: descriptor.behaviour,
      fullResync,
      retryAbandoned: options.retryAbandoned ?? false,
    };
    // The send stage of the previous source batch (save its plan, then hand it to the loader). It
    // overlaps with reading, mapping and diffing this batch, whose keys are all different (a key
    // is in one row per run; duplicates are invalid), so no decision depends on it.
    let sending: Promise<void> = Promise.resolve();
    /** Writes nothing waits for (fingerprint refreshes), awaited before the run ends. */
    const housekeeping: Promise<void>[] = [];

    const batches = extractRows(source, model.sql, sync.key.column, {
      batchSize: options.batchSize ?? 2000,
      ...(stop.graceful ? { signal: stop.graceful } : {}),
      origin: model.origin,
      checkColumns: (columns) => assertColumns(sync, descriptor, columns),
    });
    for await (const rows of readAhead(batches)) {
      options.onFaultPoint?.('read');
      counts.extracted += rows.length;
      const keyed: KeyedRow[] = [];
      const invalid: InvalidRow[] = [];
      for (const row of rows) {
        const outcome = mapper.keyOf(row);
        if (outcome.kind === 'keyed') keyed.push(outcome);
        else invalid.push(outcome);
      }
      const sourceHashes = keyed.map((k) => mapper.fingerprint(k));
      const keys = keyed.map((k) => k.key);
      // A duplicate key's rows are all invalid, and its key is in the model all the same.
      if (removed !== null && invalid.length > 0) await removed.invalid(keysOf(invalid));
      // The state store (on its own thread) answers while this one reads the next batch ahead.
      // --full-resync sends every row, so nothing is unchanged by fingerprint there.
      const lookup = baseline
        ? null
        : firstRun
          ? Promise.resolve({ unchanged: new Set<string>(), states: new Map<string, KeyState>() })
          : fullResync
            ? state.ledger
                .keyStates(sync.name, keys)
                .then((states) => ({ unchanged: new Set<string>(), states }))
            : state.ledger.lookup(sync.name, keys, sourceHashes);
      const found = lookup === null ? null : await lookup;
      const keyStates = found === null ? null : found.states;
      if (removed !== null) {
        if (found === null) removed.notLookedUp();
        else removed.found(found.unchanged.size, found.states);
      }

      const ready: MappedRow[] = [];
      for (let i = 0; i < keyed.length; i++) {
        const sourceHash = sourceHashes[i]!;
        if (found?.unchanged.has(keyed[i]!.key)) {
          counts.unchanged++;
          continue;
        }
        const outcome = mapper.map(keyed[i]!, sourceHash);
        if (outcome.kind === 'ready') ready.push(outcome);
        else invalid.push(outcome);
      }
      counts.invalid += invalid.length;
      if (dryRun) {
        for (const row of invalid.slice(0, Math.max(0, sampleLimit - invalidSamples.length))) {
          invalidSamples.push({ key: row.key, reason: row.reason, detail: row.message });
        }
      } else if (invalid.length > 0) {
        await state.ledger.recordInvalid(runId, invalidRecords(invalid));
      }

      if (keyStates === null) {
        // backfill: false — the first run remembers what exists without sending it (SPEC §1).
        counts.unchanged += ready.length;
        if (!dryRun) {
          await state.ledger.markSeen(
            sync.name,
            ready.map((r) => ({ key: r.key, hash: r.hash, sourceHash: r.sourceHash })),
          );
        }
        continue;
      }

      const planned: Planned[] = [];
      const refreshed: SeenEntry[] = [];
      for (const row of ready) {
        const keyState = keyStates.get(row.key);
        const decision = decide(row, keyState, context);
        if (decision.kind === 'unchanged') {
          counts.unchanged++;
          // Mapped again (the mapping or Sluice changed) and the same message: remember the new
          // fingerprint so the next run can skip the row again.
          if (keyState?.deliveredHash === row.hash && keyState.deliveredSourceHash !== row.sourceHash) {
            refreshed.push({ key: row.key, hash: row.hash, sourceHash: row.sourceHash });
          }
          continue;
        }
        counts.planned++;
        counts[decision.reason]++;
        planned.push({ row, decision });
      }
      if (!dryRun && refreshed.length > 0) {
        const refreshing = state.ledger.refreshSourceHashes(sync.name, refreshed);
        refreshing.catch(() => {}); // awaited after the loop
        housekeeping.push(refreshing);
      }
      if (planned.length === 0) {
        progress();
        continue;
      }

      const plannedAt = now().toISOString();
      if (dryRun) {
        const sampled = planned.slice(0, Math.max(0, sampleLimit - samples.length));
        const delivered = await state.ledger.deliveredPayloads(
          sync.name,
          sampled.map(({ row }) => row.key),
        );
        for (const { row, decision } of sampled) {
          const message = destination.encode(row.prepared, row.key, decision.messageId, plannedAt);
          samples.push(explainSample(row, decision.reason, message, delivered.get(row.key), descriptor));
        }
        progress();
        continue;
      }

      await sending;
      if (stop.graceful?.aborted) break;
      sending = sendPlanned(planned, plannedAt);
      sending.catch(() => {}); // awaited before the next batch or after the loop
      progress();
    }
    await sending;
    await Promise.all(housekeeping);
    if (stop.graceful?.aborted) throw interruptedError();
    await loader?.finish();
    // The whole model was read: what it lacks now is removed.
    if (removed !== null) {
      // Every row was delivered or recorded by now: failing to count removed keys (the warehouse
      // went away for the keys-only read) is worth a warning, not a failed run.
      try {
        counts.removed = await removed.finish({
          run: runId,
          record: !dryRun,
          source,
          modelSql: model.sql,
          keyColumn: sync.key.column,
          origin: model.origin,
          mapper,
          ...(stop.graceful ? { signal: stop.graceful } : {}),
        });
      } catch (caught) {
        if (stop.graceful?.aborted) throw caught;
        options.onWarning?.(
          `warning: sync "${sync.name}": removed keys were not counted this run (${describeError(caught).message}); the next run counts them`,
        );
      }
      progress();
    }
  } catch (caught) {
    await loader?.drain();
    error = describeError(stop.graceful?.aborted ? interruptedError() : caught);
    // The source names itself; which model failed is known only here.
    if (error.code === 'source_error') error.message = `model "${sync.model}": ${error.message}`;
  } finally {
    stop.dispose();
    clearInterval(countsTimer);
  }

  const finished = now();
  const status = error === null ? 'completed' : 'failed';
  try {
    if (!dryRun) {
      await savingCounts;
      await state.runs.finish(runId, { status, counts, finishedAt: finished.toISOString(), error });
    }
  } finally {
    await lock?.release();
  }
  return {
    run_id: runId,
    sync: sync.name,
    status,
    dry_run: dryRun,
    counts,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - started.getTime(),
    error,
    ...(dryRun
      ? {
          samples,
          invalid_samples: invalidSamples,
          not_shown: {
            planned: counts.planned - samples.length,
            invalid: counts.invalid - invalidSamples.length,
          },
        }
      : {}),
  };
}

/** The keys of invalid rows that have one (a null key is in no state to be removed). */
function keysOf(invalid: readonly InvalidRow[]): string[] {
  const keys: string[] = [];
  for (const row of invalid) if (row.key !== null) keys.push(row.key);
  return keys;
}

/** A row the diff decided to send, with that decision. */
interface Planned {
  row: MappedRow;
  decision: Extract<Decision, { kind: 'planned' }>;
}

/**
 * A model whose columns do not fit the sync fails the run before any row is used, each problem
 * naming the sync, the mapping and its line (config_invalid: exit 2).
 */
function assertColumns(sync: SyncConfig, descriptor: ObjectDescriptor, columns: readonly string[]): void {
  const problems = columnProblems(sync, descriptor, columns);
  if (problems.length > 0) throw columnsError(sync, problems);
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

function interruptedError(): SluiceError {
  return new SluiceError(
    'interrupted',
    'stopped by a signal: batches in flight were finished and recorded; changes not yet sent stay pending, with their messageIds, for the next run',
  );
}

/**
 * The graceful signal stops reading; the hard one (a second signal, the grace period running out, or
 * the run lock lost) also abandons requests in flight.
 */
function stopSignals(
  options: RunSyncOptions,
  lockLost?: AbortSignal,
): { graceful?: AbortSignal; hard: AbortSignal; dispose(): void } {
  const hard = new AbortController();
  // Losing the lock means another process may be running this sync: stop sending at once.
  lockLost?.addEventListener('abort', () => hard.abort(), { once: true });
  let timer: NodeJS.Timeout | undefined;
  const onGraceful = () => {
    timer = setTimeout(() => hard.abort(), options.graceMs ?? 30_000);
    timer.unref();
  };
  const onHard = () => hard.abort();
  options.signal?.addEventListener('abort', onGraceful, { once: true });
  options.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (options.hardSignal?.aborted) hard.abort();
  return {
    ...(options.signal ? { graceful: options.signal } : {}),
    hard: hard.signal,
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onGraceful);
      options.hardSignal?.removeEventListener('abort', onHard);
    },
  };
}

function describeError(error: unknown): NonNullable<SyncRunResult['error']> {
  if (isSluiceError(error)) {
    const { code, message, problems } = error;
    return problems.length > 0 ? { code, message, problems: [...problems] } : { code, message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
