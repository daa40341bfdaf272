import type { RunCounts } from '../core/run.js';
import type { RetryPolicy } from '../core/workspace.js';
import type { Destination, EncodedMessage, MessageOutcome } from '../destinations/destination.js';
import type { StateStore } from '../state/state-store.js';
import { Loader } from './load.js';
import type { BatchPlan, Planned } from './plan-batch.js';
import { deliveryResults, type InFlight, invalidRecords } from './record.js';
import type { RetryWaits } from './retry-waits.js';
import type { FaultPoint } from './run-sync.js';
import { type StopSignals, throwIfInterrupted } from './stop-signals.js';

/** Carries out the plans of a run's batches: {@link SendingExecutor}, or a dry run's (dry-run-plan.ts). */
export interface PlanExecutor {
  /**
   * Carries out one batch's plan (its counts are already added). False when the run was stopped
   * gracefully and nothing more may be read.
   */
  execute(plan: BatchPlan): Promise<boolean>;
  /** After the last batch: everything planned is sent and recorded (or the run was interrupted: throws). */
  finish(): Promise<void>;
  /** After a failure: waits for the batches in flight, sends nothing more. */
  abandon(): Promise<void>;
}

/** What a {@link SendingExecutor} works with. */
export interface SendingContext {
  state: StateStore;
  sync: { name: string; retry: RetryPolicy };
  runId: string;
  destination: Destination;
  /** The run's counts: deliveries are counted here once recorded. */
  counts: RunCounts;
  now: () => Date;
  stop: StopSignals;
  /** Batches waiting on retries, for the progress display. */
  retries: RetryWaits;
  /** Tells the run's progress listener of the counts. */
  progress: () => void;
  onFaultPoint?: ((point: FaultPoint) => void) | undefined;
}

/**
 * The executor of a real run: records invalid rows, remembers a baseline, refreshes fingerprints,
 * saves changes as pending before they are sent (durable before sent), hands messages to the loader,
 * and records each batch's outcomes when the destination answers.
 *
 * The send stage of a batch (save its plan, then hand it to the loader) overlaps with reading,
 * mapping and diffing the next one, whose keys are all different (a key is in one row per run;
 * duplicates are invalid), so no decision depends on it.
 */
export class SendingExecutor implements PlanExecutor {
  readonly #context: SendingContext;
  readonly #loader: Loader<InFlight>;
  /** The send stage of the previous batch: awaited before the next one starts, or by finish. */
  #sending: Promise<void> = Promise.resolve();
  /** Writes nothing waits for (fingerprint refreshes), awaited before the run ends. */
  readonly #housekeeping: Promise<void>[] = [];

  constructor(context: SendingContext) {
    this.#context = context;
    const { retries, progress } = context;
    this.#loader = new Loader<InFlight>(
      context.destination,
      (batch, outcomes, inFlight) => this.#settle(batch, outcomes, inFlight),
      context.stop.hard,
      (batch, notice) => {
        retries.update(batch, notice);
        if (notice !== null) progress();
      },
    );
  }

  async execute(plan: BatchPlan): Promise<boolean> {
    const { state, sync, runId, stop, now } = this.#context;
    if (plan.invalid.length > 0) await state.ledger.recordInvalid(runId, invalidRecords(plan.invalid));
    if (plan.seen.length > 0) await state.ledger.markSeen(sync.name, plan.seen);
    if (plan.refreshed.length > 0) {
      const refreshing = state.ledger.refreshSourceHashes(sync.name, plan.refreshed);
      refreshing.catch(() => {}); // awaited by finish
      this.#housekeeping.push(refreshing);
    }
    if (plan.planned.length > 0) {
      const plannedAt = now().toISOString();
      await this.#sending;
      if (stop.graceful?.aborted) return false;
      this.#sending = this.#send(plan.planned, plannedAt);
      this.#sending.catch(() => {}); // awaited before the next batch or by finish
    }
    this.#context.progress();
    return true;
  }

  async finish(): Promise<void> {
    await this.#sending;
    await Promise.all(this.#housekeeping);
    throwIfInterrupted(this.#context.stop);
    await this.#loader.finish();
  }

  async abandon(): Promise<void> {
    await this.#loader.drain();
  }

  /**
   * Durable before sent (the changes that need it, see Decision.durable): a crash from here on is
   * finished by the next run with the same ids.
   */
  async #send(planned: readonly Planned[], plannedAt: string): Promise<void> {
    const { state, sync, destination, onFaultPoint } = this.#context;
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
    onFaultPoint?.('planned');
    for (const { row, decision } of planned) {
      const message = destination.encode(row.prepared, row.key, decision.messageId, plannedAt);
      const full = this.#loader.push(message, {
        hash: row.hash,
        sourceHash: row.sourceHash,
        generation: decision.generation,
        reason: decision.reason,
        attempts: decision.attempts,
        firstFailedAt: decision.firstFailedAt,
      });
      if (full !== undefined) await full;
    }
  }

  /** A batch answered: its outcomes recorded in one transaction, then counted. */
  async #settle(
    batch: readonly EncodedMessage[],
    outcomes: readonly MessageOutcome[],
    inFlight: readonly InFlight[],
  ): Promise<void> {
    const { state, sync, runId, counts, now, onFaultPoint } = this.#context;
    onFaultPoint?.('sent');
    const results = deliveryResults(batch, outcomes, inFlight, sync.retry, now());
    await state.ledger.recordDeliveries(sync.name, runId, results);
    // Counted once recorded: a summary never claims a delivery the state store does not know of.
    for (const result of results) counts[result.status]++;
    this.#context.progress();
  }
}
