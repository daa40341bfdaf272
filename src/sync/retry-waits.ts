import type { RetryNotice } from '../destinations/destination.js';

/** What a run's progress says about batches waiting on retries (SPEC §4: "with the reason"). */
export interface RetryStatus {
  /** Sent batches whose last request failed and that wait to be tried again. */
  batches: number;
  /** The newest failure, short: "HTTP 503", "no answer within 10000 ms". */
  reason: string;
  /** Milliseconds until the soonest of them is tried again (0 when it is being tried). */
  nextTryInMs: number;
}

/**
 * Tracks which sent batches are between retries, so a run's progress can say why it is slow
 * ("retrying 4 batches: HTTP 503, next try in 8 s") instead of going quiet for minutes.
 */
export class RetryWaits {
  readonly #waiting = new Map<object, { reason: string; at: number; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A batch's request failed and waits (`notice`), or the batch was answered at last (`null`). */
  update(batch: object, notice: RetryNotice | null): void {
    if (notice === null) {
      this.#waiting.delete(batch);
      return;
    }
    const at = this.#now();
    this.#waiting.set(batch, { reason: shortReason(notice.error), at, until: at + notice.delayMs });
  }

  status(): RetryStatus | null {
    if (this.#waiting.size === 0) return null;
    const now = this.#now();
    let newest = { reason: '', at: -Infinity };
    let soonest = Infinity;
    for (const wait of this.#waiting.values()) {
      if (wait.at > newest.at) newest = wait;
      soonest = Math.min(soonest, wait.until);
    }
    return { batches: this.#waiting.size, reason: newest.reason, nextTryInMs: Math.max(0, soonest - now) };
  }
}

/** "HTTP 503: <the answer's body>" → "HTTP 503"; anything else cut to one short line. */
function shortReason(error: string): string {
  const http = /^HTTP \d{3}/.exec(error);
  if (http) return http[0];
  const line = error.split('\n', 1)[0]!;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
