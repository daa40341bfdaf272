import { isUtf8 } from 'node:buffer';
import { isPlainObject } from '../core/values.js';
import { batchItemSpans } from './batch-item-spans.js';
import { parseIsoTimestamp } from './parse-iso-timestamp.js';
import { decodeBody, type RawBody } from './read-request-body.js';
import type { BatchEnvelope } from './stamp-message.js';
import type { DiscardReason, MessageType } from './validate-message.js';

/**
 * Segment's request limits (segment-contract.md §1 "400", §2), measured in UTF-8 bytes.
 *
 * "500 KB" for a batch is read as **500,000 bytes**, the strictest plausible reading (500 × 1024 =
 * 512,000 is the other). A referee must never accept what Segment might refuse: a sender tuned here
 * is then safe against either reading. Segment's own SDKs keep more headroom still (Node 480 KB,
 * Python 475,000 bytes). One message is "32 KB", which every SDK spells 32 × 1024 = 32,768 bytes,
 * and Segment's own validator requires it to be *under* that (`Buffer.byteLength(JSON) < 32768`,
 * segment-contract.md §6 B) while analytics-python drops only what is over it; by the same strictest
 * reading, 32,767 bytes is allowed and 32,768 is not. Sluice sends exactly up to the same number
 * (destinations/segment/segment-limits.ts).
 */
export const LIMITS = {
  maxBatchBytes: 500_000,
  maxMessageBytes: 32_767,
  /** §1 ">2500 events": more is answered 200 and every event is dropped. */
  maxBatchMessages: 2_500,
} as const;

/** Segment's wording for an oversized payload (segment-contract.md §1 "400", from D-AJSFAQ). */
const TOO_LARGE_TEXT = 'Exceed payload limit';

/**
 * A message's compact JSON is at most about 5.25 times its raw bytes in the body: strings never grow
 * (the body is valid UTF-8, escapes re-serialise no longer), but a number such as `1E20` comes back
 * as 21 digits. With a factor of 8 for margin, a message whose raw span is at most 32,768 / 8 bytes
 * cannot be over the limit, and its `JSON.stringify` is skipped; most are that small.
 */
const SKIP_MESSAGE_SIZE_CHECK_BYTES = Math.floor(LIMITS.maxMessageBytes / 8);

/** Which endpoint a request came to: a batch (`/v1/batch`, `/v1/import`) or one single-call type. */
export type IngestKind = 'batch' | MessageType;

/** A 400: the whole request is refused, nothing is stored. `code` is ours; the text follows Segment's. */
export interface Rejection {
  ok: false;
  code: string;
  message: string;
}

/** A request that passed every whole-request check; its messages are judged one by one next. */
export interface IngestRequest {
  ok: true;
  writeKey: string;
  messages: unknown[];
  envelope: BatchEnvelope;
  /** Set when a batch-level field is bad, which discards every message of the batch. */
  envelopeDiscard?: DiscardReason;
}

/** The request headers the whole-request checks read. */
export interface IngestHeaders {
  contentType: string | undefined;
  authorization: string | undefined;
  contentEncoding: string | undefined;
}

function reject(code: string, message: string): Rejection {
  return { ok: false, code, message };
}

/**
 * The write key from HTTP Basic auth (segment-contract.md §1 "auth (a)"): the username of
 * `base64("<key>:")`. A credential without the colon is the bare key, which Segment says "might work"
 * for backward compatibility, so it is accepted. Anything else (Bearer, junk) yields no key, and
 * the body's `writeKey` is used instead (§1 "auth (b)", and Bearer + body key is "auth (c)").
 */
export function writeKeyFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^basic\s+(\S+)\s*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = (colon === -1 ? decoded : decoded.slice(0, colon)).trim();
  return key.length > 0 ? key : undefined;
}

/** Whether a message's compact JSON is over `limit` UTF-8 bytes (1–3 bytes per UTF-16 unit). */
function messageBytesOver(message: unknown, limit: number): boolean {
  const json = JSON.stringify(message) ?? '';
  if (json.length > limit) return true;
  if (json.length * 3 <= limit) return false;
  return Buffer.byteLength(json, 'utf8') > limit;
}

/**
 * §1 "400": any batched event over 32 KB fails the whole request. The size is that of the message's
 * compact JSON (`JSON.stringify`), so a pretty-printed body is not punished for its whitespace.
 */
function anyMessageTooLarge(kind: IngestKind, body: Buffer, messages: unknown[]): boolean {
  const spans = kind === 'batch' ? batchItemSpans(body) : undefined;
  const useSpans = spans !== undefined && spans.length === messages.length;
  for (let i = 0; i < messages.length; i++) {
    if (useSpans && (spans[i] as number) <= SKIP_MESSAGE_SIZE_CHECK_BYTES) continue;
    if (messageBytesOver(messages[i], LIMITS.maxMessageBytes)) return true;
  }
  return false;
}

/**
 * Every whole-request check, in the order a stateless edge would make them: content type, size,
 * encoding, JSON, shape, per-message size, then the key. Any failure is a 400 for the whole request
 * (segment-contract.md §1 "400", §7).
 */
export function parseIngestRequest(
  kind: IngestKind,
  headers: IngestHeaders,
  raw: RawBody,
): IngestRequest | Rejection {
  // §1 "content type": `application/json` is required by the docs; parameters such as charset are fine.
  const mediaType = (headers.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return reject('unsupported_content_type', 'Content-Type must be application/json');
  }
  const limit = kind === 'batch' ? LIMITS.maxBatchBytes : LIMITS.maxMessageBytes;
  const decoded = decodeBody(raw, headers.contentEncoding, limit);
  if (!decoded.ok) {
    if (decoded.reason === 'too_large') return reject('payload_too_large', TOO_LARGE_TEXT);
    if (decoded.reason === 'bad_encoding')
      return reject('invalid_body', 'The gzip body could not be inflated');
    return reject('unsupported_content_encoding', 'Content-Encoding must be gzip or absent');
  }
  const body = decoded.body;
  if (body.length > limit) return reject('payload_too_large', TOO_LARGE_TEXT);
  // Invalid UTF-8 would be silently replaced by U+FFFD and stored altered; refuse it like bad JSON.
  if (!isUtf8(body)) return reject('invalid_json', 'Invalid JSON: the body is not valid UTF-8');

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return reject('invalid_json', `Invalid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) return reject('invalid_body', 'The body must be a JSON object');

  let messages: unknown[];
  let envelope: BatchEnvelope = {};
  let envelopeDiscard: DiscardReason | undefined;
  if (kind === 'batch') {
    if (!Array.isArray(parsed.batch)) return reject('invalid_body', 'The body must hold a "batch" array');
    messages = parsed.batch;
    ({ envelope, envelopeDiscard } = batchEnvelope(parsed));
  } else {
    // A single call's type is the endpoint's (§3.1 `type`: "implied by the endpoint otherwise").
    parsed.type = kind;
    messages = [parsed];
  }

  if (body.length > SKIP_MESSAGE_SIZE_CHECK_BYTES && anyMessageTooLarge(kind, body, messages)) {
    return reject('message_too_large', TOO_LARGE_TEXT);
  }

  const bodyKey = typeof parsed.writeKey === 'string' ? parsed.writeKey.trim() : '';
  const writeKey =
    writeKeyFromAuthorization(headers.authorization) ?? (bodyKey.length > 0 ? bodyKey : undefined);
  // §1 "400": empty write keys are refused outright (analytics-go#205); unknown ones are not.
  if (writeKey === undefined) {
    return reject(
      'missing_write_key',
      'No write key: use HTTP Basic auth (key as username) or "writeKey" in the body',
    );
  }
  return envelopeDiscard === undefined
    ? { ok: true, writeKey, messages, envelope }
    : { ok: true, writeKey, messages, envelope, envelopeDiscard };
}

/** Batch-level `context`, `integrations` and `sentAt`, merged into or applied to each item later. */
function batchEnvelope(body: Record<string, unknown>): {
  envelope: BatchEnvelope;
  envelopeDiscard: DiscardReason | undefined;
} {
  const envelope: BatchEnvelope = {};
  let envelopeDiscard: DiscardReason | undefined;
  const { context, integrations, sentAt } = body;
  if (context !== undefined) {
    if (isPlainObject(context)) envelope.context = context;
    else envelopeDiscard = 'context_not_object';
  }
  if (integrations !== undefined) {
    if (isPlainObject(integrations)) envelope.integrations = integrations;
    else envelopeDiscard ??= 'integrations_not_object';
  }
  if (sentAt !== undefined) {
    const sentAtMs = parseIsoTimestamp(sentAt);
    if (sentAtMs === undefined) envelopeDiscard ??= 'invalid_sent_at';
    else {
      envelope.sentAt = sentAt as string;
      envelope.sentAtMs = sentAtMs;
    }
  }
  return { envelope, envelopeDiscard };
}
