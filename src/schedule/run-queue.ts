/**
 * Run requests waiting for a worker (SPEC §5). The queue carries only requests — "run sync X" —
 * never a run's state: which process owns a sync's run is the state store's lease, and a run whose
 * process died is found by its lapsed lease and asked for again (takeover.ts), not redelivered by
 * the queue.
 */

/** Why a run was asked for. */
export type RunRequestReason = 'manual' | 'schedule' | 'takeover' | 'busy';

export interface RunRequest {
  sync: string;
  reason: RunRequestReason;
  fullResync?: boolean;
  retryAbandoned?: boolean;
}

/** A request a worker took: no other worker gets it. */
export interface TakenRequest extends RunRequest {
  id: string;
}

export interface RunQueue {
  /**
   * Queues a request, to be taken no sooner than `delayMs` from now; answers its id, or null when a
   * request for that sync is already waiting (that one covers this).
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
