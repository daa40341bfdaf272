import { isBlankText } from '../../core/blank-text.js';
import type { ObjectKind } from '../../core/workspace.js';
import { type EncodedMessage, type Invalid, type Prepared, SENT_MESSAGE_ID_LENGTH } from '../destination.js';
import { isCanonicalTimestamp, normaliseTimestamp, timestampProblem } from './normalise-timestamp.js';
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_LENGTH } from './segment-limits.js';
import { segmentObjects } from './segment-objects.js';
import { isPlainAscii, serialiseMessage } from './serialise-message.js';

/** The `,"timestamp":"2024-01-02T03:04:05.678Z"` that `encode` adds when no timestamp was mapped. */
const STAMP_BYTES = ',"timestamp":""'.length + 24;
/** `"<id>"`: the quoted messageId `encode` adds, for the ids Sluice sends (destination.ts). */
const ID_BYTES = SENT_MESSAGE_ID_LENGTH + 2;
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const FIELD_SETS: Readonly<Record<ObjectKind, ReadonlySet<string>>> = {
  user: new Set(segmentObjects.user.fields),
  group: new Set(segmentObjects.group.fields),
  event: new Set(segmentObjects.event.fields),
};

/**
 * Turns mapped payloads into Segment messages: `prepare` validates and serialises once, `encode`
 * splices the per-send parts into that text. Hot path: each object serialised once per row (by
 * JSON.stringify, the rest by concatenation), no re-parse.
 *
 * Layout of `Prepared.json`: `{"type":…,<ids>,"event"?,"timestamp"?,"traits"|"properties",
 * "integrations"?,"context":{…}}`, `type` first and `context` always last (possibly `{}`).
 * `context.library = {name:"sluice",version}` is Sluice's, not the user's: Segment reads it as the
 * library that sent the message (segment-contract.md §3.1), so a mapping that writes it is a config
 * error when the workspace loads (segment-objects.ts `reservedPaths`); a `library` that only a row's
 * value brings (a JSON column or template mapped to the whole `context`) is replaced by Sluice's, as
 * src/mapping/README.md says. The library is spliced in by `encode`, not kept in `Prepared.json`. That text is what the
 * sync hashes to find changes, so keeping the version out of it means upgrading Sluice does not
 * make every user and group look changed and get resent.
 */
export class SegmentMessageCodec {
  /** `"library":{"name":"sluice","version":"x"}},"messageId":` : closes context, opens the id. */
  readonly #libraryTail: string;
  readonly #libraryTailAfterComma: string;
  readonly #libraryTailBytes: number;
  /** The same two tails with the opening quote of a plain id. */
  readonly #libraryTailQuoted: string;
  readonly #libraryTailAfterCommaQuoted: string;
  /** The last plannedAt `encode` found canonical. */
  #checkedPlannedAt = '';
  /** The closing `","timestamp":"…"}` for `#stampedAt`. */
  #stamp = '';
  #stampedAt = '';

  constructor(version: string) {
    this.#libraryTail = `"library":${JSON.stringify({ name: 'sluice', version })}},"messageId":`;
    this.#libraryTailAfterComma = `,${this.#libraryTail}`;
    this.#libraryTailBytes = Buffer.byteLength(this.#libraryTail);
    this.#libraryTailQuoted = `${this.#libraryTail}"`;
    this.#libraryTailAfterCommaQuoted = `${this.#libraryTailAfterComma}"`;
  }

  /**
   * Validates a mapped payload the way Segment's ingest does (segment-contract.md §1 "partial batch
   * failure", §3.2), because Segment answers 200 and silently drops what it finds malformed
   * (SPEC §3), then serialises it once. Ids must already be strings (the mapper coerces them).
   */
  prepare(object: ObjectKind, payload: Record<string, unknown>): Prepared | Invalid {
    const allowed = FIELD_SETS[object];
    for (const field in payload) {
      // The workspace loader only lets mappings reach these fields; anything else is a bug upstream.
      if (!allowed.has(field))
        throw new TypeError(`"${field}" is not a field of a Segment ${object} message`);
    }
    const userId = payload.userId ?? undefined;
    const anonymousId = payload.anonymousId ?? undefined;
    // Identity: D-DISCARD `no_user_anon_id`, `id_not_string` (empty or non-string ids), and the
    // common rule also holds for group (segment-contract.md §3.2, §5 "identity check").
    if (userId === undefined && anonymousId === undefined) {
      return invalid(
        'missing_identity',
        'neither userId nor anonymousId is set; Segment drops such messages',
      );
    }
    if (userId !== undefined && !isPresentString(userId)) {
      return invalid('missing_identity', `userId must be a non-blank string, got ${describe(userId)}`);
    }
    if (anonymousId !== undefined && !isPresentString(anonymousId)) {
      return invalid(
        'missing_identity',
        `anonymousId must be a non-blank string, got ${describe(anonymousId)}`,
      );
    }
    let groupId: string | undefined;
    let event: string | undefined;
    if (object === 'group') {
      const value = payload.groupId ?? undefined;
      if (!isPresentString(value)) {
        return invalid(
          'missing_group_id',
          value === undefined
            ? 'groupId is not set'
            : `groupId must be a non-blank string, got ${describe(value)}`,
        );
      }
      groupId = value;
    } else if (object === 'event') {
      // D-DISCARD `event_not_defined`, `event_not_string`.
      const value = payload.event ?? undefined;
      if (!isPresentString(value)) {
        return invalid(
          'missing_event',
          value === undefined
            ? 'event is not set'
            : `event must be a non-blank string, got ${describe(value)}`,
        );
      }
      event = value;
    }
    let timestamp: string | undefined;
    const rawTimestamp = payload.timestamp ?? undefined;
    if (rawTimestamp === undefined && payload.timestamp === null && object === 'event') {
      // SPEC §3 "Values are exact or documented": an event's time is part of the event, so a mapped
      // timestamp that is null is not replaced by the run's time. (On users and groups a null
      // timestamp counts as unmapped: their messages are stamped when planned.)
      return invalid(
        'invalid_timestamp',
        'timestamp is null; an event is not stamped with the time Sluice sends it — give every row a timestamp (e.g. coalesce in the model) or leave timestamp unmapped',
      );
    }
    if (rawTimestamp !== undefined) {
      const normalised = normaliseTimestamp(rawTimestamp);
      if (normalised === null) return invalid('invalid_timestamp', timestampProblem(rawTimestamp));
      timestamp = normalised;
    }
    // D-DISCARD `traits_not_object`, `properties_not_object`; context and integrations are objects
    // by the spec (segment-contract.md §3.1, §3.3).
    const bag = object === 'event' ? 'properties' : 'traits';
    const bagValue = payload[bag] ?? EMPTY;
    if (!isObject(bagValue)) return notAnObject(bag, bagValue);
    const integrations = payload.integrations ?? undefined;
    if (integrations !== undefined && !isObject(integrations))
      return notAnObject('integrations', integrations);
    const mappedContext = payload.context ?? EMPTY;
    if (!isObject(mappedContext)) return notAnObject('context', mappedContext);
    let context: Record<string, unknown> = mappedContext;
    if ('library' in context) {
      const { library: _ours, ...rest } = context;
      context = rest;
    }

    let json: string;
    try {
      json = serialiseMessage(
        object,
        // Checked above: each is undefined or a non-empty string.
        userId as string | undefined,
        anonymousId as string | undefined,
        groupId,
        event,
        timestamp,
        bag,
        bagValue,
        integrations,
        context === EMPTY ? undefined : context,
      );
    } catch (error) {
      // JSON.stringify recurses: a JSON column nested a few thousand levels deep (10 KB of `[[[…]]]`)
      // overflows the stack. That is the row's problem, not the run's.
      if (!(error instanceof RangeError)) throw error;
      return invalid(
        'message_too_large',
        'the message is nested too deeply to serialise (thousands of levels); flatten it in the model',
      );
    }
    const bytes = Buffer.byteLength(json);
    const hasTimestamp = timestamp !== undefined;
    // The exact size `encode` gives it with a Sluice messageId: the final `}}` becomes
    // `,"library":{…}},"messageId":"<id>"}` (no comma when the context is empty), plus the stamp.
    const emptyContext = json.charCodeAt(json.length - 3) === 123; /* { */
    const sent =
      bytes -
      2 +
      (emptyContext ? this.#libraryTailBytes : this.#libraryTailBytes + 1) +
      ID_BYTES +
      1 +
      (hasTimestamp ? 0 : STAMP_BYTES);
    if (sent > MAX_MESSAGE_BYTES) {
      // segment-contract.md §2 "one message": 32 KB or more fails the whole request with a 400.
      return invalid(
        'message_too_large',
        `message would be ${sent} bytes as sent (with its messageId and timestamp), over Segment's limit of ${MAX_MESSAGE_BYTES} bytes (under 32 KB); map fewer or smaller fields`,
      );
    }
    return { ok: true, json, bytes, hasTimestamp };
  }

  /**
   * Splices `context.library`, the messageId and (when none was mapped) the planned-at timestamp
   * into a prepared message by string concatenation. `plannedAt` must be canonical ISO-8601 UTC
   * ("2024-01-02T03:04:05.678Z"); `messageId` at most 100 characters (SPEC §3).
   */
  encode(prepared: Prepared, key: string, messageId: string, plannedAt: string): EncodedMessage {
    if (messageId.length === 0 || messageId.length > MAX_MESSAGE_ID_LENGTH) {
      throw new RangeError(
        `messageId must be 1 to ${MAX_MESSAGE_ID_LENGTH} characters, got ${messageId.length}`,
      );
    }
    // Canonical means 24 ASCII characters, which the size check in `prepare` counted on. A batch's
    // messages share one plannedAt: check each new value once, not once per message.
    if (!prepared.hasTimestamp && plannedAt !== this.#checkedPlannedAt) {
      if (!isCanonicalTimestamp(plannedAt)) {
        throw new RangeError(`plannedAt must be ISO-8601 UTC with milliseconds, got "${plannedAt}"`);
      }
      this.#checkedPlannedAt = plannedAt;
    }
    const text = prepared.json;
    // The text ends with `"context":{…}}`: an empty context ends with `{}}`.
    const emptyContext = text.charCodeAt(text.length - 3) === 123; /* { */
    const tailBytes = emptyContext ? this.#libraryTailBytes : this.#libraryTailBytes + 1;
    let json: string;
    let bytes: number;
    if (isPlainAscii(messageId)) {
      // Ids are ASCII hashes in practice: their quotes come with the tail and the closer, so the
      // message is four pieces (fewer strings to allocate, and to flatten into the batch body).
      const tail = emptyContext ? this.#libraryTailQuoted : this.#libraryTailAfterCommaQuoted;
      const closer = prepared.hasTimestamp ? '"}' : this.#stampCloser(plannedAt);
      json = `${text.slice(0, -2)}${tail}${messageId}${closer}`;
      bytes = prepared.bytes - 2 + tailBytes + 1 + messageId.length + closer.length;
    } else {
      const tail = emptyContext ? this.#libraryTail : this.#libraryTailAfterComma;
      const id = JSON.stringify(messageId);
      const closer = prepared.hasTimestamp ? '}' : `,"timestamp":"${plannedAt}"}`;
      json = `${text.slice(0, -2)}${tail}${id}${closer}`;
      bytes = prepared.bytes - 2 + tailBytes + Buffer.byteLength(id) + closer.length;
    }
    if (bytes > MAX_MESSAGE_BYTES) {
      // Only an id longer than Sluice's (or needing escapes) can get here: `prepare` sized the
      // message for SENT_MESSAGE_ID_LENGTH plain characters.
      throw new RangeError(
        `messageId ${JSON.stringify(messageId)} makes the message ${bytes} bytes, over ${MAX_MESSAGE_BYTES}`,
      );
    }
    return { key, messageId, json, bytes };
  }

  /** `","timestamp":"<plannedAt>"}`, made once per plannedAt (a batch's messages share one). */
  #stampCloser(plannedAt: string): string {
    if (plannedAt !== this.#stampedAt) {
      this.#stamp = `","timestamp":"${plannedAt}"}`;
      this.#stampedAt = plannedAt;
    }
    return this.#stamp;
  }
}

function invalid(reason: string, message: string): Invalid {
  return { ok: false, reason, message };
}

function notAnObject(field: string, value: unknown): Invalid {
  return invalid('not_an_object', `${field} must be an object, got ${describe(value)}`);
}

/** A string that is not blank: SPEC §3 counts ids and event names that are blank as missing. */
function isPresentString(value: unknown): value is string {
  return typeof value === 'string' && !isBlankText(value);
}

/** A plain object, including the prototype-less ones a mapper may build to avoid `__proto__` keys. */
function isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short, safe description of a value for a human sentence. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length === 0) return 'an empty string';
    return isBlankText(value)
      ? `a blank string ${JSON.stringify(truncate(value))}`
      : JSON.stringify(truncate(value));
  }
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${truncate(String(value))}`;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
