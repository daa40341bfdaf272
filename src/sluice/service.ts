import type { Exchange } from '../destinations/destination.js';
import type { Scheduler, SchedulerEvent } from '../schedule/scheduler.js';
import type { Worker, WorkerEvent } from '../schedule/worker.js';
import type { PruneDocument } from './prune-state.js';
import type { ObserveEvent } from './workspace-parts.js';

/** How often `serve` asks whether retention is due (it prunes at most once a day, across processes). */
const PRUNE_CHECK_MS = 60 * 60 * 1000;

/** What a running service tells its log, one event at a time. */
export type ServiceEvent =
  | WorkerEvent
  | SchedulerEvent
  | ObserveEvent
  | { event: 'prune_finished'; result: PruneDocument }
  | { event: 'service_error'; message: string };

export interface ServiceOptions {
  /** Runs at once in this process (default 4: syncs run side by side, one run per sync). */
  concurrency?: number;
  /** Fire the syncs' schedules (default true; once across every `serve` on shared state). */
  schedules?: boolean;
  log?: (event: ServiceEvent) => void;
  /** Told of every HTTP exchange of every run with its destination (metrics). */
  onExchange?: (sync: string, exchange: Exchange) => void;
}

/** What the service is made of (Sluice.startService builds it). */
export interface ServiceParts {
  worker: Worker;
  scheduler: Scheduler | null;
  depth: () => Promise<number>;
  prune: () => Promise<PruneDocument | null>;
  /** The notifications' delivery loop: stopped after the runs, so their last notifications go out. */
  notifications: { stop(): Promise<void> };
  log: (event: ServiceEvent) => void;
}

/**
 * What `sluice serve` runs besides its HTTP API (SPEC §5): the scheduler, which queues runs as
 * their slots come; a worker taking queued runs (in this process on SQLite state; shared with every
 * `serve` and `worker` on PostgreSQL state); and retention applied daily. Stopped by `stop()`: no
 * slot fires and no new run starts, runs finish their batches in flight.
 */
export class SluiceService {
  readonly #parts: ServiceParts;
  readonly #pruneTimer: NodeJS.Timeout;

  constructor(parts: ServiceParts) {
    this.#parts = parts;
    this.#pruneTimer = setInterval(() => void this.#pruneIfDue(), PRUNE_CHECK_MS);
    this.#pruneTimer.unref();
    void this.#pruneIfDue();
    parts.scheduler?.start();
  }

  /** Run requests waiting to be taken (the queue of this process, or the shared one). */
  queueDepth(): Promise<number> {
    return this.#parts.depth();
  }

  /** Runs going in this process. */
  get running(): number {
    return this.#parts.worker.running;
  }

  /**
   * Stops taking runs and resolves once every run of this process has ended: gracefully (their
   * batches in flight finish and are recorded), or with `hard`, abandoning those too.
   */
  async stop(options: { hard?: boolean } = {}): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#parts.scheduler?.stop();
    await this.#parts.worker.stop(options);
    await this.#parts.notifications.stop();
  }

  async #pruneIfDue(): Promise<void> {
    try {
      const result = await this.#parts.prune();
      if (result !== null) this.#parts.log({ event: 'prune_finished', result });
    } catch (error) {
      this.#parts.log({
        event: 'service_error',
        message: `applying retention failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
