import type { RunCounts } from '../core/run.js';
import type { Destination, ObjectDescriptor } from '../destinations/destination.js';
import type { StateStore } from '../state/state-store.js';
import type { PlanExecutor } from './execute-plan.js';
import type { BatchPlan } from './plan-batch.js';
import { explainSample } from './plan-details.js';
import type { DryRunSample, InvalidSample, SyncRunResult } from './run-result.js';
import { type StopSignals, throwIfInterrupted } from './stop-signals.js';

/** What a {@link DryRunExecutor} works with. */
export interface DryRunContext {
  state: StateStore;
  sync: string;
  destination: Destination;
  descriptor: ObjectDescriptor;
  now: () => Date;
  stop: StopSignals;
  /** Samples to keep, of planned rows and of invalid rows each. */
  sampleLimit: number;
  progress: () => void;
}

/**
 * A dry run is "plan, don't execute": the same plans as a real run, of which this keeps samples —
 * the first planned rows as they would be sent (with the fields that differ from the last delivery)
 * and the first invalid rows with their reasons. It writes nothing and sends nothing.
 */
export class DryRunExecutor implements PlanExecutor {
  readonly #context: DryRunContext;
  readonly #samples: DryRunSample[] = [];
  readonly #invalidSamples: InvalidSample[] = [];

  constructor(context: DryRunContext) {
    this.#context = context;
  }

  async execute(plan: BatchPlan): Promise<boolean> {
    const { state, sync, destination, descriptor, now, sampleLimit } = this.#context;
    const invalidRoom = Math.max(0, sampleLimit - this.#invalidSamples.length);
    for (const row of plan.invalid.slice(0, invalidRoom)) {
      this.#invalidSamples.push({ key: row.key, reason: row.reason, detail: row.message });
    }
    if (plan.planned.length > 0) {
      const plannedAt = now().toISOString();
      const sampled = plan.planned.slice(0, Math.max(0, sampleLimit - this.#samples.length));
      const delivered = await state.ledger.deliveredPayloads(
        sync,
        sampled.map(({ row }) => row.key),
      );
      for (const { row, decision } of sampled) {
        const message = destination.encode(row.prepared, row.key, decision.messageId, plannedAt);
        this.#samples.push(explainSample(row, decision.reason, message, delivered.get(row.key), descriptor));
      }
    }
    this.#context.progress();
    return true;
  }

  async finish(): Promise<void> {
    throwIfInterrupted(this.#context.stop);
  }

  async abandon(): Promise<void> {
    // Nothing is ever in flight.
  }

  /** The samples, and how many planned and invalid rows they leave out, for the run's result. */
  report(
    counts: Readonly<RunCounts>,
  ): Required<Pick<SyncRunResult, 'samples' | 'invalid_samples' | 'not_shown'>> {
    return {
      samples: this.#samples,
      invalid_samples: this.#invalidSamples,
      not_shown: {
        planned: counts.planned - this.#samples.length,
        invalid: counts.invalid - this.#invalidSamples.length,
      },
    };
  }
}
