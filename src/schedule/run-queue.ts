/**
 * Run requests waiting for a worker (SPEC §5). The queue carries only requests — "start queued run
 * R of sync X", or "run sync X" to take a dead run over — never a run's state: a queued run waits in
 * the state's history (`runs.enqueue`), which process owns a sync's run is the state store's lease,
 * and a run whose process died is found by its lapsed lease and asked for again (takeover.ts), not
 * redelivered by the queue. A request that got lost (its process died between queueing and
 * starting it) is asked again from the history (worker.ts), which is why requests coalesce by key.
 */

/** Why a run was asked for. */
export type RunRequestReason = 'manual' | 'schedule' | 'takeover' | 'busy';

export interface RunRequest {
  sync: string;
  reason: RunRequestReason;
  /** The queued run to start (`runs.enqueue`); without it, a new run (a takeover). */
  runId?: string;
  dryRun?: boolean;
  fullResync?: boolean;
  retryAbandoned?: boolean;
}

/**
 * Requests with the same key coalesce while one waits: one per queued run, and one takeover per
 * sync.
 */
export function requestKey(request: RunRequest): string {
  return request.runId ?? `takeover:${request.sync}`;
}

/** A request a worker took: no other worker gets it. */
export interface TakenRequest extends RunRequest {
  id: string;
}

export interface RunQueue {
  /**
   * Whether the queue outlives this process and is shared with others (PostgreSQL). An in-memory
   * queue starts empty, so every run queued in the history before it started was lost with it.
   */
  readonly shared: boolean;
  /**
   * Queues a request, to be taken no sooner than `delayMs` from now; answers its id, or null when a
   * request with the same key (`requestKey`) is already waiting (that one covers this).
   */
  request(request: RunRequest, delayMs?: number): Promise<string | null>;
  /**
   * The oldest request whose time has come, taken for good (a worker that dies right after losing it
   * is the one gap: runs it already started are taken over through their leases), or null.
   */
  take(): Promise<TakenRequest | null>;
  /** Requests waiting to be taken. */
  depth(): Promise<number>;
  close(): Promise<void>;
}
