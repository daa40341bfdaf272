/** How hard one `send` tries before its messages are marked failed for a later run. */
export interface RetryOptions {
  /** Attempts per request, the first included (default 10, analytics-node's `maxRetries`). */
  maxAttempts: number;
  /** Base of the exponential backoff (default 500 ms, analytics-core `minTimeout`). */
  minDelayMs: number;
  /** Cap on one backoff delay (default 60 s, analytics-core `maxTimeout`). */
  maxDelayMs: number;
}

/** segment-contract.md §5 "defaults" and "backoff" (analytics-node 3.1.0, analytics-core backoff.ts). */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 10,
  minDelayMs: 500,
  maxDelayMs: 60_000,
});

/**
 * The delay before retry number `retry` (1 for the first retry): `(1 + random) · min · 2^retry`,
 * capped at `max`, which is analytics-core's `backoff({attempt, minTimeout, maxTimeout})`
 * (segment-contract.md §5 "backoff": about 1–2 s, 2–4 s, 4–8 s … with the defaults). The jitter
 * keeps concurrent senders from retrying in lockstep.
 */
export function backoffDelay(
  retry: number,
  options: Pick<RetryOptions, 'minDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  return Math.min(options.maxDelayMs, (1 + random()) * options.minDelayMs * 2 ** retry);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
