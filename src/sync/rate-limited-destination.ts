import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../core/errors.js';
import type {
  Destination,
  EncodedMessage,
  MessageOutcome,
  SendOptions,
} from '../destinations/destination.js';
import type { RateBuckets } from '../state/state-store.js';

/**
 * A destination's `rate_limit` (SPEC §5), shared by every run on every worker through the state
 * store's rate buckets. Each request carries at most a quarter second's budget (`burst`, at least
 * one message), and the bucket refills at the limit minus that burst: a bucket lets through at most
 * `burst + refill × T` messages in any T seconds, so no one-second window at the sender carries more
 * than the limit. Messages are counted once, when their request is first sent; retries after a 429
 * or 5xx go through the destination's own backoff (segment-contract.md: Segment admits about 1,000
 * events a second per workspace without prior arrangement, and queues or throttles the excess).
 */
export function rateLimited(
  destination: Destination,
  buckets: RateBuckets,
  key: string,
  perSecond: number,
): Destination {
  const burst = Math.max(1, Math.floor(perSecond / 4));
  const refill = perSecond - burst;
  const limits = {
    ...destination.limits,
    maxBatchMessages: Math.min(destination.limits.maxBatchMessages, burst),
  };
  return {
    type: destination.type,
    limits,
    concurrency: destination.concurrency,
    prepare: (object, payload) => destination.prepare(object, payload),
    encode: (prepared, messageKey, messageId, plannedAt) =>
      destination.encode(prepared, messageKey, messageId, plannedAt),
    async send(batch: readonly EncodedMessage[], options?: SendOptions): Promise<MessageOutcome[]> {
      // A batch larger than a request may carry (never from the loader, which packs by `limits`) is
      // sent a request's worth at a time.
      const outcomes: MessageOutcome[] = [];
      for (let start = 0; start < batch.length; start += burst) {
        const part = batch.slice(start, start + burst);
        await wait(await buckets.take(key, part.length, refill, burst), options?.signal);
        outcomes.push(...(await destination.send(part, options)));
      }
      return outcomes;
    },
    check: () => destination.check(),
    close: () => destination.close(),
  };
}

/** Sleeps `ms`; an abort while waiting is `interrupted`, as it is for the destination's own waits. */
async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw new SluiceError('interrupted', "waiting on the destination's rate_limit was interrupted", {
      cause: error,
    });
  }
}
