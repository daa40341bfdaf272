import type { ObjectKind } from '../../core/workspace.js';
import type { ObjectDescriptor } from '../destination.js';

/** The Segment call each Sluice object becomes (SPEC §2). */
export const SEGMENT_CALLS: Readonly<Record<ObjectKind, 'identify' | 'group' | 'track'>> = Object.freeze({
  user: 'identify',
  group: 'group',
  event: 'track',
});

/**
 * `context.library` is Sluice's: Segment reads it as the library that sent the message
 * (segment-contract.md §3.1: "Server libraries collect only `context.library`"; §5 "event shape"),
 * so Sluice always sets it to `{ name: "sluice", version }`. Keeping a user's value instead would
 * make Segment credit another library with Sluice's messages and break what Segment and its
 * destinations derive from it; replacing it silently would lose the mapping without a word. So a
 * mapping that writes it is refused when the workspace loads, with the line and the fix.
 */
const RESERVED_PATHS = Object.freeze([
  Object.freeze({
    path: Object.freeze(['context', 'library']),
    why: 'Segment reads context.library as the library that sent the message, and Sluice sets it to { name: sluice, version }',
  }),
]);

/** Fields whose values Segment wants as strings (SPEC §2: ids are sent as strings). */
const ID_FIELDS = Object.freeze(['userId', 'anonymousId', 'groupId']);

/**
 * A sent message back to what the diff compares: without what sending adds to every message (its
 * messageId, Sluice's `context.library`, and the planning time stamped as `timestamp` when none is
 * mapped; segment-message-codec.ts). Keys delivered before state migration 3 kept that form
 * already; stripping changes nothing there.
 */
export function comparableSegmentMessage(sent: unknown, next: Record<string, unknown>): unknown {
  if (typeof sent !== 'object' || sent === null || Array.isArray(sent)) return sent;
  const { messageId: _id, timestamp, context, ...rest } = sent as Record<string, unknown>;
  const prepared: Record<string, unknown> = rest;
  if ('timestamp' in next && timestamp !== undefined) prepared.timestamp = timestamp;
  if (typeof context === 'object' && context !== null && !Array.isArray(context)) {
    const { library: _library, ...userContext } = context as Record<string, unknown>;
    prepared.context = userContext;
  } else if (context !== undefined) {
    prepared.context = context;
  }
  return prepared;
}

/**
 * What each Segment object accepts (SPEC §2; fields per segment-contract.md §3.1 and §3.2,
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/). `type`,
 * `messageId` and `sentAt` are Sluice's to set, so they are not mappable.
 */
export const segmentObjects: Readonly<Record<ObjectKind, ObjectDescriptor>> = Object.freeze({
  user: Object.freeze({
    keyFields: Object.freeze(['userId', 'anonymousId']),
    defaultKeyField: 'userId',
    fields: Object.freeze(['userId', 'anonymousId', 'timestamp', 'traits', 'context', 'integrations']),
    behaviour: 'upsert',
    reservedPaths: RESERVED_PATHS,
    idFields: ID_FIELDS,
    // Fields that must be objects when mapped whole (segment-contract §3.2: *_not_object discards).
    objectFields: Object.freeze(['traits', 'context', 'integrations']),
    comparable: comparableSegmentMessage,
  }),
  group: Object.freeze({
    // groupId: each row is a group; userId/anonymousId: each row is a membership (SPEC §2).
    keyFields: Object.freeze(['groupId', 'userId', 'anonymousId']),
    defaultKeyField: 'groupId',
    fields: Object.freeze([
      'groupId',
      'userId',
      'anonymousId',
      'timestamp',
      'traits',
      'context',
      'integrations',
    ]),
    behaviour: 'upsert',
    reservedPaths: RESERVED_PATHS,
    idFields: ID_FIELDS,
    objectFields: Object.freeze(['traits', 'context', 'integrations']),
    comparable: comparableSegmentMessage,
  }),
  event: Object.freeze({
    // The key is the event's own identity: each key is sent once, ever (SPEC §2, §3).
    keyFields: Object.freeze([]),
    fields: Object.freeze([
      'userId',
      'anonymousId',
      'event',
      'timestamp',
      'properties',
      'context',
      'integrations',
    ]),
    behaviour: 'send-once',
    reservedPaths: RESERVED_PATHS,
    idFields: ID_FIELDS,
    objectFields: Object.freeze(['properties', 'context', 'integrations']),
    comparable: comparableSegmentMessage,
  }),
});
