import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkProperty, hostileText, hostileValue, objectOf } from '../../../test/helpers/hostile-values.js';
import type { ObjectKind } from '../../core/workspace.js';
import { SEGMENT_CALLS } from './segment-objects.js';
import { serialiseMessage } from './serialise-message.js';

type Args = Parameters<typeof serialiseMessage>;

/** What serialiseMessage must equal: the one wrapper object the codec used to stringify. */
function wrapper(
  ...[object, userId, anonymousId, groupId, event, timestamp, bag, bagValue, integrations, context]: Args
) {
  return JSON.stringify({
    type: SEGMENT_CALLS[object],
    userId,
    anonymousId,
    groupId,
    event,
    timestamp,
    traits: bag === 'traits' ? bagValue : undefined,
    properties: bag === 'properties' ? bagValue : undefined,
    integrations,
    context: context ?? {},
  });
}

const id = fc.option(
  hostileText.filter((s) => s.length > 0),
  { nil: undefined },
);
const record = fc.oneof(
  fc.array(fc.tuple(hostileText, hostileValue), { maxLength: 5 }).map(objectOf),
  fc.constant(Object.create(null) as Record<string, unknown>),
  // JSON.stringify calls a toJSON with the field name; a wrapper-free serialiser would pass "".
  fc.constant({ toJSON: (key: string) => ({ key }) }),
);
const args: fc.Arbitrary<Args> = fc
  .record({
    object: fc.constantFrom<ObjectKind>('user', 'group', 'event'),
    userId: id,
    anonymousId: id,
    groupId: id,
    event: id,
    timestamp: fc.option(fc.constant('2024-01-02T03:04:05.678Z'), { nil: undefined }),
    bagValue: record,
    integrations: fc.option(record, { nil: undefined }),
    context: fc.option(record, { nil: undefined }),
  })
  .map((a) => [
    a.object,
    a.userId,
    a.anonymousId,
    a.groupId,
    a.event,
    a.timestamp,
    a.object === 'event' ? 'properties' : 'traits',
    a.bagValue,
    a.integrations,
    a.context,
  ]);

describe('serialiseMessage', () => {
  test('is the JSON.stringify text of the whole message, for any ids and objects', () => {
    checkProperty(
      fc.property(args, (a) => {
        expect(serialiseMessage(...a)).toBe(wrapper(...a));
      }),
      1_000,
    );
  });

  test('type first, the undefined fields left out, context last', () => {
    expect(
      serialiseMessage(
        'event',
        'u"1',
        undefined,
        undefined,
        'Signed Up',
        undefined,
        'properties',
        { a: 1 },
        undefined,
        undefined,
      ),
    ).toBe('{"type":"track","userId":"u\\"1","event":"Signed Up","properties":{"a":1},"context":{}}');
  });

  test('a toJSON on Object.prototype reaches the wrapper: the same text as before', () => {
    const a: Args = [
      'user',
      'u',
      undefined,
      undefined,
      undefined,
      undefined,
      'traits',
      Object.create(null),
      undefined,
      undefined,
    ];
    const proto = Object.prototype as { toJSON?: unknown };
    proto.toJSON = function (this: object, key: string) {
      return `${key}:${Object.keys(this).join(',')}`;
    };
    try {
      expect(serialiseMessage(...a)).toBe(wrapper(...a));
    } finally {
      delete proto.toJSON;
    }
  });

  test('a frozen context reused by every row gives the same text; anything that can change is re-read', () => {
    const text = (context: Record<string, unknown>) =>
      serialiseMessage(
        'user',
        'u',
        undefined,
        undefined,
        undefined,
        undefined,
        'traits',
        {},
        undefined,
        context,
      );
    const shared = Object.freeze({ source: 'warehouse', n: 1, ok: true, none: null });
    expect(text(shared)).toBe(text(shared));
    expect(text(shared)).toContain('"context":{"source":"warehouse","n":1,"ok":true,"none":null}}');

    const mutable: Record<string, unknown> = { source: 'a' };
    expect(text(mutable)).toContain('"source":"a"');
    mutable.source = 'b';
    expect(text(mutable)).toContain('"source":"b"');

    let n = 0;
    const getter = Object.freeze({
      get n() {
        n += 1;
        return n;
      },
    });
    expect(text(getter)).toContain('"n":1');
    expect(text(getter)).toContain('"n":2');

    const inner = { x: 1 };
    const nested = Object.freeze({ inner });
    expect(text(nested)).toContain('"inner":{"x":1}');
    inner.x = 2;
    expect(text(nested)).toContain('"inner":{"x":2}');
  });
});
