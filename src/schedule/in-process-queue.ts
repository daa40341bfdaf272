import { randomUUID } from 'node:crypto';
import { type RunQueue, type RunRequest, requestKey, type TakenRequest } from './run-queue.js';

interface Waiting extends TakenRequest {
  key: string;
  /** When it may be taken (ms since the epoch). */
  due: number;
  /** Arrival order, for requests due at the same moment. */
  order: number;
}

/**
 * The run queue of the embedded default (SPEC §5: `sluice serve` on SQLite state runs everything in
 * one process): requests in memory, with the same coalescing as the PostgreSQL queue. Nothing is lost
 * with the process: the runs it was asked for wait in the state's history as `queued`, and the worker
 * asks for them again when it starts.
 */
export class InProcessQueue implements RunQueue {
  readonly shared = false;
  readonly #waiting = new Map<string, Waiting>();
  readonly #now: () => number;
  #order = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async request(request: RunRequest, delayMs = 0): Promise<string | null> {
    const key = requestKey(request);
    if (this.#waiting.has(key)) return null;
    const id = randomUUID();
    this.#waiting.set(key, { ...request, id, key, due: this.#now() + delayMs, order: this.#order++ });
    return id;
  }

  async take(): Promise<TakenRequest | null> {
    const now = this.#now();
    let first: Waiting | undefined;
    for (const waiting of this.#waiting.values()) {
      if (waiting.due > now) continue;
      if (
        first === undefined ||
        waiting.due < first.due ||
        (waiting.due === first.due && waiting.order < first.order)
      )
        first = waiting;
    }
    if (first === undefined) return null;
    this.#waiting.delete(first.key);
    const { key: _key, due: _due, order: _order, ...taken } = first;
    return taken;
  }

  async depth(): Promise<number> {
    return this.#waiting.size;
  }

  async close(): Promise<void> {
    this.#waiting.clear();
  }
}
