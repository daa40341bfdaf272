import type { RunRecord } from '../core/run.js';
import type { RetryPolicy } from '../core/workspace.js';
import type { EncodedMessage, MessageOutcome } from '../destinations/destination.js';
import type { DeliveryResult } from '../state/state-store.js';
import type { InvalidRow } from './map.js';

/** What the loader keeps of a sent message while its batch is in flight. */
export interface InFlight {
  hash: string;
  prepared: string;
  reason: string;
  /** Failed attempts before this one, and the time of the first, for the retry policy. */
  attempts: number;
  firstFailedAt: string | null;
}

/**
 * Pairs a settled batch with its outcomes for the state store, releasing the in-flight entries. A
 * failure past the sync's retry policy (`max_attempts` failed runs, or `max_age` since the first
 * failure) is `abandoned`: kept with its last error, not retried until its data changes or the user
 * asks with --retry-abandoned.
 */
export function deliveryResults(
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
  inFlight: Map<string, InFlight>,
  policy: RetryPolicy,
  now: Date,
): DeliveryResult[] {
  if (outcomes.length !== batch.length) {
    throw new Error(`destination returned ${outcomes.length} outcomes for a batch of ${batch.length}`);
  }
  return batch.map((message, i) => {
    const outcome = outcomes[i]!;
    const meta = inFlight.get(message.messageId);
    if (meta === undefined) throw new Error(`no planned change for message ${message.messageId}`);
    inFlight.delete(message.messageId);
    const common = { key: message.key, hash: meta.hash, messageId: message.messageId, payload: message.json };
    if (outcome.status === 'succeeded') {
      return { ...common, prepared: meta.prepared, reason: meta.reason, status: 'succeeded', error: null };
    }
    return {
      ...common,
      prepared: meta.prepared,
      reason: outcome.reason,
      status: pastRetryPolicy(meta, policy, now) ? 'abandoned' : 'failed',
      error: outcome.error,
    };
  });
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
