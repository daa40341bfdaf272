import type { ObjectKind } from '../../core/workspace.js';
import type { ObjectDescriptor } from '../destination.js';

/** The Segment call each Sluice object becomes (SPEC §2). */
export const SEGMENT_CALLS: Readonly<Record<ObjectKind, 'identify' | 'group' | 'track'>> = Object.freeze({
  user: 'identify',
  group: 'group',
  event: 'track',
});

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
  }),
});
