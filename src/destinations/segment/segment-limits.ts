import type { DestinationLimits } from '../destination.js';

/**
 * Segment's request limits (segment-contract.md §2,
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size),
 * all measured in UTF-8 bytes of JSON, which is what Segment counts (analytics-python
 * `MAX_MSG_SIZE = 32 << 10`); analytics-node's own size guard is broken (§5 "size guard"), so Sluice
 * counts bytes itself.
 */

/**
 * The largest message Sluice sends: 32,767 bytes. Segment's limit is "32 KB" (§2 "one message",
 * D-HTTP: a larger one gets the whole request a 400), which its libraries read two ways: Segment's
 * own validator requires `Buffer.byteLength(JSON) < 32768` (§6 B, loosely-validate-event), while
 * analytics-python drops only what is over 32,768. The strict reading is the one no Segment reading
 * refuses, so a message is refused only at 32,768 bytes or more — its real bytes, counted with its
 * real messageId, `context.library` and planned-at timestamp (segment-message-codec.ts), never a
 * worst case.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 - 1;

/** Segment's hard cap on a request body: 500 KB (§2 "batch request"); the smaller reading, 500,000. */
export const MAX_REQUEST_BYTES = 500_000;

/** Messages per request: beyond 2,500 Segment answers 200 and drops the events (§1 ">2500 events"). */
export const MAX_BATCH_MESSAGES = 2500;

/**
 * The `{"batch":[` … `],"sentAt":"2024-01-02T03:04:05.678Z"}` envelope around the messages:
 * 10 + 12 + 24 + 2 bytes.
 */
export const ENVELOPE_BYTES = '{"batch":['.length + '],"sentAt":"'.length + 24 + '"}'.length;

/**
 * Budget for the sum of the messages' bytes in one request: analytics-node's 480 KB
 * (`MAX_BATCH_SIZE_IN_KB = 480`, §2 "batch request"). Even a full batch of 2,500 messages adds at
 * most 2,499 commas and the 48-byte envelope, so the body stays under 494,100 bytes, below the
 * 500,000-byte cap with room to spare. This headroom refuses nothing: it only decides where one
 * request ends and the next begins, and any message `prepare` accepts fits in a request alone.
 */
export const MAX_BATCH_BYTES = 480 * 1024;

/** A messageId is at most 100 characters (§2 "messageId length", §4; SPEC §3). */
export const MAX_MESSAGE_ID_LENGTH = 100;

/**
 * Segment's limits as every packer reads them: a request's messages count with the commas between
 * them (the JSON array of batch-body.ts); the fixed envelope is outside MAX_BATCH_BYTES' budget.
 */
export const segmentLimits: DestinationLimits = Object.freeze({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxBatchBytes: MAX_BATCH_BYTES,
  maxBatchMessages: MAX_BATCH_MESSAGES,
  batchBytes: (messageBytes: number, count: number) => messageBytes + (count > 1 ? count - 1 : 0),
});
