import { describe, expect, it } from 'vitest';
import type { ObjectKind } from '../../core/workspace.js';
import { type Prepared, SENT_MESSAGE_ID_LENGTH } from '../destination.js';
import { MAX_MESSAGE_BYTES } from './segment-limits.js';
import { SegmentMessageCodec } from './segment-message-codec.js';

const codec = new SegmentMessageCodec('1.2.3');
const PLANNED = '2025-06-01T12:00:00.000Z';
const ID100 = 'm'.repeat(100);
/** An id of the length and kind Sluice sends ("sl-" + 43 base64url characters). */
const SLUICE_ID = `sl-${'A'.repeat(SENT_MESSAGE_ID_LENGTH - 3)}`;

function prepared(object: ObjectKind, payload: Record<string, unknown>): Prepared {
  const result = codec.prepare(object, payload);
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.message}`);
  return result;
}

describe('SegmentMessageCodec.prepare: invalid rows (SPEC §3 reason codes)', () => {
  it.each<[ObjectKind, Record<string, unknown>, string, string]>([
    ['user', {}, 'missing_identity', 'neither userId nor anonymousId'],
    ['user', { userId: null, anonymousId: null }, 'missing_identity', 'neither'],
    ['user', { userId: '' }, 'missing_identity', 'userId must be a non-blank string, got an empty string'],
    // SPEC §3: blank (only whitespace) ids and event names count as missing.
    ['user', { userId: ' ' }, 'missing_identity', 'userId must be a non-blank string, got a blank string'],
    ['user', { userId: '\t\n\r ' }, 'missing_identity', 'got a blank string'],
    ['user', { userId: '\u00a0\u3000\u2003' }, 'missing_identity', 'got a blank string'],
    ['user', { userId: 'u1', anonymousId: '  ' }, 'missing_identity', 'anonymousId must be a non-blank'],
    ['user', { anonymousId: '\u2028' }, 'missing_identity', 'anonymousId must be a non-blank'],
    ['group', { userId: 'u1', groupId: '   ' }, 'missing_group_id', 'groupId must be a non-blank string'],
    ['event', { userId: 'u1', event: ' \t ' }, 'missing_event', 'event must be a non-blank string'],
    ['event', { userId: '\u205f', event: 'E' }, 'missing_identity', 'userId must be a non-blank'],
    ['user', { userId: 42 }, 'missing_identity', 'got number 42'],
    ['user', { userId: 'u1', anonymousId: '' }, 'missing_identity', 'anonymousId must be'],
    ['user', { anonymousId: ['a'] }, 'missing_identity', 'got an array'],
    ['group', { groupId: 'g1' }, 'missing_identity', 'neither'],
    ['group', { userId: 'u1' }, 'missing_group_id', 'groupId is not set'],
    ['group', { userId: 'u1', groupId: '' }, 'missing_group_id', 'non-blank string'],
    ['group', { userId: 'u1', groupId: 7 }, 'missing_group_id', 'got number 7'],
    ['event', { userId: 'u1' }, 'missing_event', 'event is not set'],
    ['event', { userId: 'u1', event: '' }, 'missing_event', 'non-blank string'],
    ['event', { userId: 'u1', event: { name: 'x' } }, 'missing_event', 'got an object'],
    [
      'event',
      { anonymousId: 'a', event: 'E', timestamp: 'yesterday' },
      'invalid_timestamp',
      '"yesterday" is not an ISO-8601',
    ],
    ['user', { userId: 'u1', timestamp: 1_700_000_000 }, 'invalid_timestamp', 'is a number'],
    ['user', { userId: 'u1', timestamp: '2023-02-29' }, 'invalid_timestamp', 'not an ISO-8601'],
    // SPEC §3: a mapped event timestamp that is null is invalid, not stamped with the run's time.
    ['event', { userId: 'u1', event: 'E', timestamp: null }, 'invalid_timestamp', 'timestamp is null'],
    // Out of the range a Segment timestamp carries: the sources write these exactly (expanded years).
    [
      'event',
      { userId: 'u1', event: 'E', timestamp: '+275761-09-13T00:00:00.000Z' },
      'invalid_timestamp',
      'outside the years 0000–9999',
    ],
    [
      'user',
      { userId: 'u1', timestamp: '-000044-03-15T12:00:00.000Z' },
      'invalid_timestamp',
      'outside the years 0000–9999',
    ],
    [
      'group',
      { userId: 'u1', groupId: 'g', timestamp: '+010000-01-01T00:00:00.000Z' },
      'invalid_timestamp',
      'outside the years 0000–9999',
    ],
    [
      'user',
      { userId: 'u1', timestamp: '9999-12-31T23:30:00-01:00' },
      'invalid_timestamp',
      'outside the years 0000–9999',
    ],
    ['user', { userId: 'u1', traits: [1, 2] }, 'not_an_object', 'traits must be an object, got an array'],
    ['user', { userId: 'u1', traits: 'x' }, 'not_an_object', 'traits'],
    ['group', { userId: 'u1', groupId: 'g', traits: 3 }, 'not_an_object', 'traits'],
    ['event', { userId: 'u1', event: 'E', properties: 'p' }, 'not_an_object', 'properties'],
    ['event', { userId: 'u1', event: 'E', context: [] }, 'not_an_object', 'context'],
    ['user', { userId: 'u1', integrations: true }, 'not_an_object', 'integrations'],
    ['user', { userId: 'u1', traits: new Date() }, 'not_an_object', 'traits'],
  ])('%s %j → %s', (object, payload, reason, text) => {
    const result = codec.prepare(object, payload);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message).toContain(text);
  });

  it('refuses fields the object does not have: a bug upstream, not a row problem', () => {
    expect(() => codec.prepare('user', { userId: 'u', event: 'E' })).toThrow(/"event" is not a field/);
    expect(() => codec.prepare('event', { userId: 'u', event: 'E', traits: {} })).toThrow(TypeError);
  });
});

describe('SegmentMessageCodec.prepare: the wire text', () => {
  it('writes type first, the mapped fields, traits always, context always last', () => {
    const p = prepared('user', { userId: 'u1', traits: { email: 'a@b.c' }, context: { ip: '1.2.3.4' } });
    expect(p.json).toBe(
      '{"type":"identify","userId":"u1","traits":{"email":"a@b.c"},"context":{"ip":"1.2.3.4"}}',
    );
    expect(p.hasTimestamp).toBe(false);
    expect(p.bytes).toBe(p.json.length);
    expect(prepared('user', { anonymousId: 'a' }).json).toBe(
      '{"type":"identify","anonymousId":"a","traits":{},"context":{}}',
    );
    expect(prepared('group', { userId: 'u', groupId: 'g', traits: null }).json).toBe(
      '{"type":"group","userId":"u","groupId":"g","traits":{},"context":{}}',
    );
    expect(
      prepared('event', { integrations: { All: false, Mixpanel: true }, event: 'Order', userId: 'u' }).json,
    ).toBe(
      '{"type":"track","userId":"u","event":"Order","properties":{},"integrations":{"All":false,"Mixpanel":true},"context":{}}',
    );
  });

  it('normalises a mapped timestamp and keeps it in the text', () => {
    const p = prepared('event', { userId: 'u', event: 'E', timestamp: '2024-01-02 03:04:05+01:00' });
    expect(p.hasTimestamp).toBe(true);
    expect(JSON.parse(p.json).timestamp).toBe('2024-01-02T02:04:05.000Z');
  });

  it('keeps ids that are not blank as they are: surrounding spaces, a lone BOM, zero-width characters', () => {
    // Not trimmed (mapping/README.md "Coercion"), and U+FEFF / U+200B are not Unicode White_Space.
    for (const id of [' u1 ', '\uFEFF', '\u200B', '\u00a0x', 'x\u3000']) {
      const p = prepared('user', { userId: id });
      expect(JSON.parse(p.json).userId).toBe(id);
    }
    expect(JSON.parse(prepared('event', { anonymousId: 'a', event: ' E ' }).json).event).toBe(' E ');
  });

  it('truncates sub-millisecond digits and reads expanded years inside 0000–9999', () => {
    const ts = (timestamp: string) =>
      JSON.parse(prepared('event', { userId: 'u', event: 'E', timestamp }).json).timestamp;
    expect(ts('2024-01-02T03:04:05.678901Z')).toBe('2024-01-02T03:04:05.678Z');
    expect(ts('2024-01-02T03:04:05.678901234Z')).toBe('2024-01-02T03:04:05.678Z');
    expect(ts('+002024-01-02T03:04:05.999999Z')).toBe('2024-01-02T03:04:05.999Z');
  });

  it('a null timestamp on users and groups counts as unmapped: stamped when planned', () => {
    const user = prepared('user', { userId: 'u', timestamp: null });
    const group = prepared('group', { userId: 'u', groupId: 'g', timestamp: null });
    for (const p of [user, group]) {
      expect(p.hasTimestamp).toBe(false);
      expect(JSON.parse(codec.encode(p, 'k', SLUICE_ID, PLANNED).json).timestamp).toBe(PLANNED);
    }
  });

  it('leaves nulls out at the top level and keeps them inside traits (nulls: send)', () => {
    const p = prepared('user', { userId: 'u', anonymousId: null, timestamp: null, traits: { plan: null } });
    expect(p.json).toBe('{"type":"identify","userId":"u","traits":{"plan":null},"context":{}}');
    expect(p.hasTimestamp).toBe(false);
  });

  // A mapping that writes context.library is a config error (segment-objects.ts reservedPaths);
  // only a whole context from a row's value can still carry one, and Sluice's replaces it.
  it('drops a context.library that a row’s value brings: the library is Sluice’s', () => {
    const payload = { userId: 'u', context: { library: { name: 'mine' }, ip: '1' } };
    const p = prepared('user', payload);
    expect(p.json).toBe('{"type":"identify","userId":"u","traits":{},"context":{"ip":"1"}}');
    expect(payload.context.library).toEqual({ name: 'mine' }); // the payload is not mutated
  });

  it('accepts prototype-less objects a mapper may build', () => {
    const traits = Object.create(null) as Record<string, unknown>;
    traits.email = 'x@y.z';
    expect(prepared('user', { userId: 'u', traits }).json).toContain('"traits":{"email":"x@y.z"}');
  });

  it('counts UTF-8 bytes, not UTF-16 units: accents, CJK, emoji, lone surrogates', () => {
    const p = prepared('user', { userId: 'ü', traits: { name: '日本', mood: '😀👍🏽' } });
    expect(p.bytes).toBe(Buffer.byteLength(p.json, 'utf8'));
    // ü: 2 bytes in 1 unit (+1); 日本: 6 bytes in 2 (+4); 😀: 4 in 2 (+2); 👍🏽: 8 in 4 (+4).
    expect(p.bytes).toBe(p.json.length + 1 + 4 + 2 + 4);
    const lone = prepared('user', { userId: 'u', traits: { x: '\ud800' } });
    expect(lone.json).toContain('"\\ud800"'); // JSON.stringify escapes it, so the bytes stay valid UTF-8
    expect(lone.bytes).toBe(Buffer.byteLength(lone.json));
  });
});

describe('SegmentMessageCodec.prepare: message_too_large only over 32,767 bytes as really sent', () => {
  /** The largest traits filler that still prepares, found by bisection. */
  function largestFiller(object: ObjectKind, unit: string, extra: Record<string, unknown>): number {
    let lo = 0;
    let hi = 40_000;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const payload = { ...extra, [object === 'event' ? 'properties' : 'traits']: { f: unit.repeat(mid) } };
      if (codec.prepare(object, payload).ok) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  it('the limit is 32,767 bytes: Segment accepts a message under 32 KB (segment-contract.md §2, §6 B)', () => {
    expect(MAX_MESSAGE_BYTES).toBe(32_767);
  });

  it.each<[ObjectKind, string, Record<string, unknown>]>([
    ['user', 'x', { userId: 'u1' }],
    ['user', 'é', { userId: 'u1', context: { ip: '1' } }],
    ['user', '日', { userId: 'u1' }],
    ['group', '😀', { userId: 'u1', groupId: 'g1' }],
    ['event', 'x', { userId: 'u1', event: 'E', timestamp: '2024-01-02T03:04:05Z' }],
    ['event', 'x', { userId: 'u1', event: 'E', context: { ip: '1' } }],
  ])(
    '%s filled with %j: the largest accepted message encodes to at most the limit, one more unit is refused',
    (object, unit, extra) => {
      const n = largestFiller(object, unit, extra);
      const bag = object === 'event' ? 'properties' : 'traits';
      const p = prepared(object, { ...extra, [bag]: { f: unit.repeat(n) } });
      const encoded = codec.encode(p, 'k', SLUICE_ID, PLANNED);
      expect(encoded.bytes).toBe(Buffer.byteLength(encoded.json));
      expect(encoded.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      // Exact: one more unit (1 to 4 bytes) would pass the limit.
      expect(encoded.bytes + Buffer.byteLength(unit)).toBeGreaterThan(MAX_MESSAGE_BYTES);
      // An id longer than Sluice's cannot sneak a message past the limit: encode refuses it.
      expect(() => codec.encode(p, 'k', `${SLUICE_ID}${'x'.repeat(4)}`, PLANNED)).toThrow(RangeError);
      const over = codec.prepare(object, { ...extra, [bag]: { f: unit.repeat(n + 1) } });
      expect(over).toMatchObject({ ok: false, reason: 'message_too_large' });
      expect(over.ok === false && over.message).toContain(
        `would be ${encoded.bytes + Buffer.byteLength(unit)} bytes as sent`,
      );
      expect(over.ok === false && over.message).toContain('limit of 32767 bytes');
    },
  );

  it.each<[string, number]>([
    ['limit − 1', MAX_MESSAGE_BYTES - 1],
    ['limit', MAX_MESSAGE_BYTES],
    ['limit + 1', MAX_MESSAGE_BYTES + 1],
  ])('a message of exactly %s bytes as sent is %s', (_label, target) => {
    // Base size with an empty filler, then a filler that brings the sent message to `target`.
    const base = codec.encode(prepared('user', { userId: 'u1', traits: { f: '' } }), 'k', SLUICE_ID, PLANNED);
    // Two-byte "é" for most of it, so multi-byte counting is what is tested; one "x" evens it out.
    const missing = target - base.bytes;
    const filler = 'é'.repeat(Math.floor(missing / 2)) + 'x'.repeat(missing % 2);
    const result = codec.prepare('user', { userId: 'u1', traits: { f: filler } });
    if (target <= MAX_MESSAGE_BYTES) {
      expect(result.ok).toBe(true);
      const e = codec.encode(result as Prepared, 'k', SLUICE_ID, PLANNED);
      expect(e.bytes).toBe(target);
      expect(Buffer.byteLength(e.json)).toBe(target);
    } else {
      expect(result).toMatchObject({ ok: false, reason: 'message_too_large' });
      expect(result.ok === false && result.message).toContain(`would be ${target} bytes as sent`);
    }
  });

  // Found by segment.property.test.ts: JSON.stringify overflowed the stack on a deeply nested JSON
  // column (10 KB of `[[[…]]]`) and prepare threw, failing the whole run instead of the row.
  it('refuses a value nested too deeply to serialise instead of throwing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const result = codec.prepare('user', { userId: 'u1', traits: { deep } });
    expect(result).toMatchObject({ ok: false, reason: 'message_too_large' });
    expect(result.ok === false && result.message).toContain('nested too deeply');
  });
});

describe('SegmentMessageCodec.encode', () => {
  it('splices library, messageId and the planned-at stamp; bytes are exact', () => {
    const p = prepared('user', { userId: 'u1', traits: { name: 'Zoë' } });
    const e = codec.encode(p, 'key-1', 'msg-1', PLANNED);
    expect(e).toEqual({
      key: 'key-1',
      messageId: 'msg-1',
      json: `{"type":"identify","userId":"u1","traits":{"name":"Zoë"},"context":{"library":{"name":"sluice","version":"1.2.3"}},"messageId":"msg-1","timestamp":"${PLANNED}"}`,
      bytes: Buffer.byteLength(e.json),
    });
  });

  it('merges the library into a non-empty context, and keeps a mapped timestamp', () => {
    const p = prepared('event', {
      userId: 'u',
      event: 'E',
      timestamp: '2024-01-02T03:04:05.000Z',
      context: { ip: '1', nested: {} },
    });
    const e = codec.encode(p, 'k', 'm', PLANNED);
    const message = JSON.parse(e.json);
    expect(message.context).toEqual({ ip: '1', nested: {}, library: { name: 'sluice', version: '1.2.3' } });
    expect(message.timestamp).toBe('2024-01-02T03:04:05.000Z');
    expect(e.json.match(/"timestamp"/g)).toHaveLength(1);
    expect(e.bytes).toBe(Buffer.byteLength(e.json));
  });

  it('round-trips: the encoded message is the prepared one plus exactly the spliced fields', () => {
    const payloads: [ObjectKind, Record<string, unknown>][] = [
      [
        'user',
        { userId: '42', traits: { a: { b: [1, 'two', null] }, '😀': '日本' }, integrations: { All: true } },
      ],
      ['group', { anonymousId: 'anon', groupId: 'g', context: { groupId: 'g' } }],
      ['event', { userId: 'u', event: 'Clicked "Buy"', properties: { price: 9.99 } }],
    ];
    for (const [object, payload] of payloads) {
      const p = prepared(object, payload);
      const e = codec.encode(p, 'k', 'id-\u00e9', PLANNED);
      const { messageId, timestamp, context, ...rest } = JSON.parse(e.json);
      const { context: preparedContext, ...preparedRest } = JSON.parse(p.json);
      expect(rest).toEqual(preparedRest);
      expect(context).toEqual({ ...preparedContext, library: { name: 'sluice', version: '1.2.3' } });
      expect(messageId).toBe('id-\u00e9');
      expect(timestamp).toBe(PLANNED);
      expect(e.bytes).toBe(Buffer.byteLength(e.json));
      expect(Object.keys(JSON.parse(e.json))[0]).toBe('type');
    }
  });

  it('escapes a messageId that needs it and refuses one over 100 characters', () => {
    const p = prepared('user', { userId: 'u' });
    expect(JSON.parse(codec.encode(p, 'k', 'a"b\\c', PLANNED).json).messageId).toBe('a"b\\c');
    expect(codec.encode(p, 'k', ID100, PLANNED).messageId).toBe(ID100);
    expect(() => codec.encode(p, 'k', `${ID100}x`, PLANNED)).toThrow(RangeError);
    expect(() => codec.encode(p, 'k', '', PLANNED)).toThrow(RangeError);
    expect(() => codec.encode(p, 'k', 'm', '2025-06-01T12:00:00Z')).toThrow(/plannedAt/);
  });

  it('stamps each call with its own plannedAt, and checks every new one (encode remembers the last)', () => {
    const codec = new SegmentMessageCodec('1.2.3');
    const p = prepared('user', { userId: 'u' });
    const stamped = (at: string) => JSON.parse(codec.encode(p, 'k', 'm', at).json).timestamp;
    expect(stamped(PLANNED)).toBe(PLANNED);
    expect(stamped(PLANNED)).toBe(PLANNED);
    expect(stamped('2025-06-01T12:00:00.001Z')).toBe('2025-06-01T12:00:00.001Z');
    expect(() => codec.encode(p, 'k', 'm', '2025-06-01T12:00:00Z')).toThrow(/plannedAt/);
    expect(() => codec.encode(p, 'k', 'é', '2025-06-01T12:00:00Z')).toThrow(/plannedAt/);
    expect(stamped(PLANNED)).toBe(PLANNED);
    // A mapped timestamp needs no plannedAt, so none is checked.
    const own = prepared('user', { userId: 'u', timestamp: '2024-01-02T03:04:05.000Z' });
    expect(JSON.parse(codec.encode(own, 'k', 'm', 'not a time').json).timestamp).toBe(
      '2024-01-02T03:04:05.000Z',
    );
  });

  it('prepare is deterministic: the same payload gives the same text (it is hashed for diffing)', () => {
    const payload = { userId: 'u', traits: { b: 1, a: 2 }, context: { ip: 'x' } };
    expect(prepared('user', payload).json).toBe(prepared('user', { ...payload }).json);
    // Another Sluice version must not change the hashed text, only the encoded one.
    const other = new SegmentMessageCodec('9.9.9');
    const p2 = other.prepare('user', payload);
    expect(p2.ok && p2.json).toBe(prepared('user', payload).json);
  });
});
