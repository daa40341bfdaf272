import { isPlainObject } from '../core/values.js';
import { parseIsoTimestamp } from './parse-iso-timestamp.js';

/** The six Segment call types (segment-contract.md §1 "endpoints", §3.1 `type`). */
export const MESSAGE_TYPES = ['identify', 'track', 'group', 'page', 'screen', 'alias'] as const;
/** One of the six Segment call types. */
export type MessageType = (typeof MESSAGE_TYPES)[number];

const TYPE_SET: ReadonlySet<string> = new Set(MESSAGE_TYPES);

/** Whether `value` names one of the six call types (case-sensitive, as Segment's `type` is). */
export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && TYPE_SET.has(value);
}

/**
 * Every reason a message can be discarded (answered 200, dropped one by one), with where it comes
 * from. `segment` codes are the ingest discard reasons Segment shows in Delivery Overview
 * (segment-contract.md §1 "partial batch failure", D-DISCARD); `referee` codes are this receiver's
 * own, for inputs Segment documents no rule for (§9) or accepts while real senders should not rely
 * on it. The referee is deliberately stricter than Segment: a sender that passes here passes there.
 */
export const DISCARD_REASONS = {
  // Segment's codes (D-DISCARD).
  empty_batch: { origin: 'segment', text: 'the batch held no messages' },
  no_user_anon_id: { origin: 'segment', text: 'neither userId nor anonymousId is set' },
  id_not_string: {
    origin: 'segment',
    text: 'userId/anonymousId (or alias previousId) is empty or not a string',
  },
  id_required: { origin: 'segment', text: 'group call without a non-empty string groupId' },
  event_not_defined: { origin: 'segment', text: 'track call without event' },
  event_not_string: { origin: 'segment', text: 'track event is empty or not a string' },
  properties_not_object: { origin: 'segment', text: 'properties is not an object' },
  traits_not_object: { origin: 'segment', text: 'traits is not an object' },
  name_not_string: { origin: 'segment', text: 'page/screen name is empty or not a string' },
  category_not_string: { origin: 'segment', text: 'page/screen category is empty or not a string' },
  // §1 ">2500 events": Segment answers 200 and rejects every event; it names no code, this is ours.
  too_many_events: { origin: 'referee', text: 'the batch held more than 2,500 messages; all dropped' },
  // §1 "401/403": Segment silently drops events for unknown keys; the code is ours.
  unknown_write_key: { origin: 'referee', text: 'the write key is not one of the known keys' },
  // Stricter than Segment (§9 lists these as undocumented).
  message_not_object: { origin: 'referee', text: 'a batch item is not a JSON object' },
  invalid_type: { origin: 'referee', text: 'type is missing or not one of the six call types' },
  alias_id_required: { origin: 'referee', text: 'alias call without both userId and previousId' },
  context_not_object: { origin: 'referee', text: 'context (item or batch level) is not an object' },
  integrations_not_object: { origin: 'referee', text: 'integrations (item or batch level) is not an object' },
  invalid_timestamp: { origin: 'referee', text: 'timestamp is not an ISO-8601 date-time with a time zone' },
  invalid_sent_at: {
    origin: 'referee',
    text: 'sentAt (item or batch level) is not an ISO-8601 date-time with a zone',
  },
  message_id_invalid: {
    origin: 'referee',
    text: 'messageId is not a non-empty string of at most 100 characters',
  },
} as const satisfies Record<string, { origin: 'segment' | 'referee'; text: string }>;

/** A discard reason code; see `DISCARD_REASONS`. */
export type DiscardReason = keyof typeof DISCARD_REASONS;

/** §2 "messageId length": at most 100 characters (counted in UTF-16 units, the stricter reading). */
export const MAX_MESSAGE_ID_LENGTH = 100;

/**
 * Null counts as absent for string fields (ids, name, category, messageId) — SDKs send `null` for
 * "not given" — but object fields must be plain objects whenever present, `null` included, exactly as
 * analytics-core's `validateEvent` treats traits and properties (segment-contract.md §6 A).
 */
function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** True when the field is absent or a plain object; `null`, arrays and scalars are not objects. */
function objectIfPresent(value: unknown): boolean {
  return value === undefined || isPlainObject(value);
}

/**
 * Why Segment (or the stricter referee) would drop this message, or `undefined` when it is accepted.
 * The first failing rule wins; rules run from the envelope (type, ids, timestamps) to the per-call
 * fields (segment-contract.md §3.1, §3.2). Batch-level fields are checked by the caller.
 */
export function discardReason(message: unknown): DiscardReason | undefined {
  if (!isPlainObject(message)) return 'message_not_object';
  const type = message.type;
  if (!isMessageType(type)) return 'invalid_type';

  const messageId = message.messageId;
  if (!absent(messageId) && (!nonEmptyString(messageId) || messageId.length > MAX_MESSAGE_ID_LENGTH)) {
    return 'message_id_invalid';
  }

  // §3.1 userId/anonymousId: "must be a non-empty string; otherwise discarded as id_not_string".
  const { userId, anonymousId } = message;
  if (
    (!absent(userId) && !nonEmptyString(userId)) ||
    (!absent(anonymousId) && !nonEmptyString(anonymousId))
  ) {
    return 'id_not_string';
  }
  if (type === 'alias') {
    // §3.2 alias: previousId and userId are both required; Segment names no discard code for it.
    if (!absent(message.previousId) && !nonEmptyString(message.previousId)) return 'id_not_string';
    if (absent(userId) || absent(message.previousId)) return 'alias_id_required';
  } else if (absent(userId) && absent(anonymousId)) {
    return 'no_user_anon_id';
  }

  if (message.timestamp !== undefined && parseIsoTimestamp(message.timestamp) === undefined) {
    return 'invalid_timestamp';
  }
  if (message.sentAt !== undefined && parseIsoTimestamp(message.sentAt) === undefined)
    return 'invalid_sent_at';
  if (!objectIfPresent(message.context)) return 'context_not_object';
  if (!objectIfPresent(message.integrations)) return 'integrations_not_object';

  switch (type) {
    case 'identify':
      return objectIfPresent(message.traits) ? undefined : 'traits_not_object';
    case 'group':
      if (!nonEmptyString(message.groupId)) return 'id_required';
      return objectIfPresent(message.traits) ? undefined : 'traits_not_object';
    case 'track':
      if (absent(message.event)) return 'event_not_defined';
      if (!nonEmptyString(message.event)) return 'event_not_string';
      return objectIfPresent(message.properties) ? undefined : 'properties_not_object';
    case 'page':
    case 'screen':
      if (!absent(message.name) && !nonEmptyString(message.name)) return 'name_not_string';
      if (!absent(message.category) && !nonEmptyString(message.category)) return 'category_not_string';
      return objectIfPresent(message.properties) ? undefined : 'properties_not_object';
    case 'alias':
      return undefined;
  }
}
