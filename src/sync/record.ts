import type { RunRecord } from '../core/run.js';
import type { EncodedMessage, MessageOutcome } from '../destinations/destination.js';
import type { DeliveryResult } from '../state/state-store.js';
import type { InvalidRow } from './map.js';

/** Pairs a settled batch with its outcomes for the state store, releasing the in-flight entries. */
export function deliveryResults(
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
  inFlight: Map<string, { hash: string; prepared: string; reason: string }>,
): DeliveryResult[] {
  if (outcomes.length !== batch.length) {
    throw new Error(`destination returned ${outcomes.length} outcomes for a batch of ${batch.length}`);
  }
  return batch.map((message, i) => {
    const outcome = outcomes[i]!;
    const meta = inFlight.get(message.messageId);
    if (meta === undefined) throw new Error(`no planned change for message ${message.messageId}`);
    inFlight.delete(message.messageId);
    return {
      key: message.key,
      hash: meta.hash,
      messageId: message.messageId,
      payload: message.json,
      prepared: meta.prepared,
      reason: outcome.status === 'succeeded' ? meta.reason : outcome.reason,
      status: outcome.status,
      error: outcome.status === 'failed' ? outcome.error : null,
    };
  });
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
