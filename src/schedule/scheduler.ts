import type { ScheduleConfig } from '../core/workspace.js';
import type { StateStore } from '../state/state-store.js';
import { runLockName } from '../sync/run-lock.js';
import { readScheduleFacts } from './schedule-facts.js';
import { type ScheduleSlot, scheduleTimes } from './schedule-times.js';

/** What the scheduler tells its log (and the metrics): one structured event at a time. */
export type SchedulerEvent =
  | { event: 'schedule_fired'; sync: string; slot: string; lag_ms: number; run_id: string }
  | { event: 'schedule_skipped'; sync: string; slot: string; reason: string }
  | { event: 'scheduler_error'; message: string };

/** A sync and its schedule; syncs without one are run by hand only and ignored here. */
export interface ScheduledSync {
  name: string;
  schedule?: ScheduleConfig | undefined;
}

/** What a run request answers: the run asked for, or 'busy' when the sync runs or waits already. */
export type ScheduleRequestAnswer = { runId: string } | 'busy';

export interface SchedulerOptions {
  syncs: readonly ScheduledSync[];
  state: StateStore;
  /** The clock slots are judged by (default: the system clock). */
  now?: () => Date;
  /** Asks for a run of `sync` for `slot` (`sluice serve` queues one). */
  request: (sync: string, slot: ScheduleSlot) => Promise<ScheduleRequestAnswer>;
  log?: (event: SchedulerEvent) => void;
  /** How often `start` ticks (default 1 s). */
  tickMs?: number;
}

/**
 * Fires scheduled syncs (SPEC §5). Each tick looks at every scheduled sync's facts in the state and
 * asks `scheduleTimes` whether a slot is due; a due slot is claimed in the state store first, so of
 * every scheduler sharing the state exactly one acts on it:
 * - the sync is running (its run lock is held): the slot is recorded `skipped`, saying by which run,
 *   and no second run starts. An `after:` sync instead waits for that run to end, then fires: the
 *   running run may have read before its parents' new data (schedule-times.ts keeps it due until a
 *   run starts after the parents completed);
 * - otherwise `request` asks for a run, and the slot records its run id (or `skipped` when `request`
 *   answers 'busy', or fails).
 * A scheduler that dies between claiming and asking loses that one slot: a slot never fires twice.
 */
export class Scheduler {
  readonly #syncs: readonly { name: string; schedule: ScheduleConfig }[];
  readonly #state: StateStore;
  readonly #now: () => Date;
  readonly #request: SchedulerOptions['request'];
  readonly #log: (event: SchedulerEvent) => void;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | null = null;
  /** The errors the previous tick reported: a state store that is away is said once, not every second. */
  #reported = new Set<string>();
  /**
   * Per clock-driven sync, the time before which it cannot be due (its next run time when last
   * looked at): a tick does not read its facts again until then. Nothing in the state makes a cron,
   * every or continuous slot come sooner (runs and other processes' claims only put it off), while
   * an `after:` sync is due whenever its parents complete, so it is looked at on every tick.
   */
  readonly #notBefore = new Map<string, number>();

  constructor(options: SchedulerOptions) {
    this.#syncs = options.syncs.flatMap((sync) =>
      sync.schedule === undefined ? [] : [{ name: sync.name, schedule: sync.schedule }],
    );
    this.#state = options.state;
    this.#now = options.now ?? (() => new Date());
    this.#request = options.request;
    this.#log = options.log ?? (() => undefined);
    this.#tickMs = options.tickMs ?? 1000;
  }

  /**
   * Ticks now and then every `tickMs`, until `stop`. A tick still going when the next is due is not
   * doubled; failures (a state store that went away) are logged and the next tick tries again.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#tickOnce(), this.#tickMs);
    this.#timer.unref();
    void this.#tickOnce();
  }

  /** Stops ticking; resolves once a tick in progress has ended. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /**
   * Looks at every scheduled sync once and fires (or skips) what is due. Never throws: failures are
   * `scheduler_error` events.
   */
  tick(): Promise<void> {
    return this.#tickOnce();
  }

  /** Each scheduled sync's next run time (ISO), as `scheduleTimes` gives it; null for `after:`. */
  async nextRuns(): Promise<Map<string, string | null>> {
    const now = this.#now();
    const next = new Map<string, string | null>();
    for (const { name, schedule } of this.#syncs) {
      const facts = await readScheduleFacts(this.#state, name, schedule);
      next.set(name, scheduleTimes(schedule, facts, now).nextRunAt);
    }
    return next;
  }

  #tickOnce(): Promise<void> {
    this.#ticking ??= this.#evaluateAll().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #evaluateAll(): Promise<void> {
    const errors = new Set<string>();
    for (const { name, schedule } of this.#syncs) {
      try {
        await this.#evaluate(name, schedule);
      } catch (error) {
        errors.add(`schedule of "${name}": ${messageOf(error)}`);
      }
    }
    for (const message of errors) {
      if (!this.#reported.has(message)) this.#log({ event: 'scheduler_error', message });
    }
    this.#reported = errors;
  }

  async #evaluate(sync: string, schedule: ScheduleConfig): Promise<void> {
    const now = this.#now();
    if (now.getTime() < (this.#notBefore.get(sync) ?? Number.NEGATIVE_INFINITY)) return;
    const facts = await readScheduleFacts(this.#state, sync, schedule);
    const { due, nextRunAt } = scheduleTimes(schedule, facts, now);
    if (due === null) {
      if (nextRunAt !== null) this.#notBefore.set(sync, Date.parse(nextRunAt));
      return;
    }
    const at = now.toISOString();
    const running = await this.#state.locks.holder(runLockName(sync));
    if (running !== null) {
      if (schedule.kind === 'after') return;
      const reason = `already running (${running.holder.label})`;
      const won = await this.#state.schedules.claim({
        sync,
        slot: due.slot,
        outcome: 'skipped',
        runId: null,
        reason,
        at,
      });
      if (won) this.#log({ event: 'schedule_skipped', sync, slot: due.slot, reason });
      return;
    }
    const won = await this.#state.schedules.claim({
      sync,
      slot: due.slot,
      outcome: 'fired',
      runId: null,
      reason: null,
      at,
    });
    if (!won) return;
    let answer: ScheduleRequestAnswer;
    try {
      answer = await this.#request(sync, due);
    } catch (error) {
      const reason = `the run could not be asked for: ${messageOf(error)}`;
      this.#log({ event: 'scheduler_error', message: `schedule of "${sync}": ${reason}` });
      await this.#skip(sync, due.slot, reason);
      return;
    }
    if (answer === 'busy') {
      await this.#skip(sync, due.slot, 'already running or waiting to run');
      return;
    }
    await this.#state.schedules.settle(sync, due.slot, {
      outcome: 'fired',
      runId: answer.runId,
      reason: null,
    });
    this.#log({
      event: 'schedule_fired',
      sync,
      slot: due.slot,
      lag_ms: Math.max(0, now.getTime() - Date.parse(due.slot)),
      run_id: answer.runId,
    });
  }

  async #skip(sync: string, slot: string, reason: string): Promise<void> {
    await this.#state.schedules.settle(sync, slot, { outcome: 'skipped', runId: null, reason });
    this.#log({ event: 'schedule_skipped', sync, slot, reason });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
