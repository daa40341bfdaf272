import type { RunRecord } from '../core/run.js';
import type { RetryPolicy } from '../core/workspace.js';
import type { EncodedMessage, MessageOutcome } from '../destinations/destination.js';
import type { DeliveryResult } from '../state/state-store.js';
import type { InvalidRow } from './map.js';

/** What the loader keeps with a sent message until its batch settles. */
export interface InFlight {
  hash: string;
  sourceHash: string;
  generation: number;
  reason: string;
  /** Failed attempts before this one, and the time of the first, for the retry policy. */
  attempts: number;
  firstFailedAt: string | null;
}

/**
 * Pairs a settled batch with its outcomes for the state store. A failure past the sync's retry
 * policy (`max_attempts` failed runs, or `max_age` since the first failure) is `abandoned`: kept
 * with its last error, not retried until its data changes or the user asks with --retry-abandoned.
 */
export function deliveryResults(
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
  inFlight: readonly InFlight[],
  policy: RetryPolicy,
  now: Date,
): DeliveryResult[] {
  if (outcomes.length !== batch.length || inFlight.length !== batch.length) {
    throw new Error(
      `destination returned ${outcomes.length} outcomes for a batch of ${batch.length} (${inFlight.length} planned)`,
    );
  }
  const results: DeliveryResult[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const message = batch[i]!;
    const outcome = outcomes[i]!;
    const meta = inFlight[i]!;
    const succeeded = outcome.status === 'succeeded';
    // One object shape for every result: the state store's thread receives these by structured clone.
    results[i] = {
      key: message.key,
      hash: meta.hash,
      sourceHash: meta.sourceHash,
      generation: meta.generation,
      messageId: message.messageId,
      payload: message.json,
      reason: succeeded ? meta.reason : outcome.reason,
      status: succeeded ? 'succeeded' : pastRetryPolicy(meta, policy, now) ? 'abandoned' : 'failed',
      error: succeeded ? null : outcome.error,
    };
  }
  return results;
}

function pastRetryPolicy(meta: InFlight, policy: RetryPolicy, now: Date): boolean {
  const attempts = meta.attempts + 1;
  if (policy.maxAttempts !== undefined && attempts >= policy.maxAttempts) return true;
  const since = meta.firstFailedAt === null ? now.getTime() : Date.parse(meta.firstFailedAt);
  return policy.maxAgeMs !== undefined && now.getTime() - since >= policy.maxAgeMs;
}

/** Invalid rows as run records: never sent, each with its reason code and a sentence. */
export function invalidRecords(rows: readonly InvalidRow[]): Omit<RunRecord, 'runId'>[] {
  return rows.map((row) => ({
    key: row.key,
    status: 'invalid',
    reason: row.reason,
    message: row.message,
    messageId: null,
    payload: row.payload,
  }));
}
