import { randomUUID } from 'node:crypto';
import { parseIsoTimestamp } from './parse-iso-timestamp.js';

/** The batch-level fields that apply to every item (segment-contract.md §1 "batch body"). */
export interface BatchEnvelope {
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  /** Batch-level `sentAt`, as analytics-node and analytics-python send it (§3.1 `sentAt`). */
  sentAt?: string;
  /** `sentAt` parsed, once per request. */
  sentAtMs?: number;
}

/** Prefix of messageIds this receiver assigns, so a test can tell them from the sender's own. */
export const ASSIGNED_ID_PREFIX = 'rcv-';

/**
 * Segment's clock-skew rule (segment-contract.md §3.1, D-COMMON):
 * `timestamp = receivedAt − (sentAt − originalTimestamp)`, all in epoch ms. With no `sentAt` there is
 * no correction (the contract's presumption, as in Jitsu's emulation); with no timestamp at all,
 * the receive time is used.
 */
export function correctedTimestamp(
  receivedAtMs: number,
  originalMs: number | undefined,
  sentAtMs: number | undefined,
): number {
  if (originalMs === undefined) return receivedAtMs;
  if (sentAtMs === undefined) return originalMs;
  return receivedAtMs - (sentAtMs - originalMs);
}

let lastIsoMs = Number.NaN;
let lastIso = '';

/**
 * `toISOString` costs about a microsecond, as much as the rest of stamping; the messages of a batch
 * often share one timestamp (a sync stamps its planned-at time), so the last result is remembered.
 */
function isoString(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

/**
 * Turns a validated message, as sent, into the stored one, in place (it is a fresh object from
 * `JSON.parse`, owned by the receiver, so copying would only cost time):
 * - merges batch-level `context`/`integrations` under the item's own (item keys win, one level deep);
 * - assigns `messageId` when absent (§4: "the HTTP API assigns one when it is missing");
 * - sets `receivedAt`, `originalTimestamp` (= the sent `timestamp`, removed when none was sent),
 *   `sentAt` (item level, else batch level) and the skew-corrected `timestamp` (§3.1);
 * - drops `writeKey`, which is a credential and never stored.
 * Client-sent `receivedAt`/`originalTimestamp` are overwritten: whether Segment honours them is
 * unconfirmed (§9), and a referee should not let a sender steer its own receive time.
 */
export function stampMessage(
  message: Record<string, unknown>,
  envelope: BatchEnvelope,
  receivedAtMs: number,
  receivedAtIso: string,
): Record<string, unknown> {
  if (envelope.context !== undefined) {
    message.context = { ...envelope.context, ...(message.context as Record<string, unknown> | undefined) };
  }
  if (envelope.integrations !== undefined) {
    message.integrations = {
      ...envelope.integrations,
      ...(message.integrations as Record<string, unknown> | undefined),
    };
  }
  if (message.messageId === undefined || message.messageId === null) {
    message.messageId = ASSIGNED_ID_PREFIX + randomUUID();
  }
  delete message.writeKey;

  // An item's own sentAt is more specific than the batch's.
  let sentAtMs = envelope.sentAtMs;
  if (message.sentAt === undefined) {
    if (envelope.sentAt !== undefined) message.sentAt = envelope.sentAt;
  } else {
    sentAtMs = parseIsoTimestamp(message.sentAt);
  }
  const sentTimestamp = message.timestamp as string | undefined;
  message.receivedAt = receivedAtIso;
  if (sentTimestamp === undefined) {
    delete message.originalTimestamp;
    message.timestamp = receivedAtIso;
  } else {
    message.originalTimestamp = sentTimestamp;
    const originalMs = parseIsoTimestamp(sentTimestamp);
    message.timestamp = isoString(correctedTimestamp(receivedAtMs, originalMs, sentAtMs));
  }
  return message;
}
