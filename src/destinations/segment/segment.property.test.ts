// Bad input, property-based: whatever payload the mapper hands the Segment codec,
// `prepare` answers with a value (never throws), every message it accepts encodes to what Segment
// (and our stricter receiver) accepts, and every refusal carries one of SPEC §3's reason codes.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anyCell,
  checkProperty,
  deepValue,
  hostileKey,
  hostileScalar,
  hostileText,
  hostileValue,
  hugeText,
  objectOf,
} from '../../../test/helpers/hostile-values.js';
import { isPlainObject } from '../../core/values.js';
import type { ObjectKind } from '../../core/workspace.js';
import { parseIngestRequest } from '../../receiver/parse-ingest-request.js';
import { parseIsoTimestamp } from '../../receiver/parse-iso-timestamp.js';
import { discardReason } from '../../receiver/validate-message.js';
import type { EncodedMessage } from '../destination.js';
import { batchBody, batchBodyBytes, batchBodyPrefix } from './batch-body.js';
import { isCanonicalTimestamp, normaliseTimestamp } from './normalise-timestamp.js';
import { MAX_MESSAGE_BYTES } from './segment-limits.js';
import { SegmentMessageCodec } from './segment-message-codec.js';
import { SEGMENT_CALLS, segmentObjects } from './segment-objects.js';

const codec = new SegmentMessageCodec('1.2.3');
const PLANNED = '2025-06-01T12:00:00.000Z';
/** The codes `prepare` may give (SPEC §3); the others belong to the key check and the mapper. */
const PREPARE_REASONS = new Set([
  'missing_identity',
  'missing_group_id',
  'missing_event',
  'invalid_timestamp',
  'not_an_object',
  'message_too_large',
]);

/** A messageId of the form the sync derives: "sl-" + 43 base64url characters. */
function messageIdFor(seed: string): string {
  return `sl-${createHash('sha256').update(seed).digest('base64url')}`;
}

/** Timestamps: valid ISO-8601 in every accepted form, edge years and zones, and garbage. */
const timestampText: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 99, 100, 1970, 9999)),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 24 }),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.integer({ min: 0, max: 60 }),
      fraction: fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
      separator: fc.constantFrom('T', 't', ' '),
      zone: fc.constantFrom('', 'Z', 'z', '+00:00', '-01:00', '+23:59', '-23:59', '+0530', '+05', '+24:00'),
      form: fc.constantFrom('date', 'minutes', 'seconds'),
    })
    .map((t) => {
      const p2 = (n: number) => String(n).padStart(2, '0');
      const date = `${String(t.year).padStart(4, '0')}-${p2(t.month)}-${p2(t.day)}`;
      if (t.form === 'date') return date;
      const time =
        t.form === 'minutes'
          ? `${p2(t.hour)}:${p2(t.minute)}`
          : `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}${t.fraction === undefined ? '' : `.${t.fraction}`}`;
      return `${date}${t.separator}${time}${t.zone}`;
    }),
  fc.constantFrom('9999-12-31T23:59:59-23:59', '0000-01-01T00:00:00+23:59', '2024-02-29', '2023-02-29'),
  hostileText,
);

/** Valid ISO-8601 timestamps in the accepted forms, including the edge years. */
const validTimestamp: fc.Arbitrary<string> = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true })
  .chain((d) =>
    fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 19), d.toISOString().replace('Z', '+00:00')),
  );

/**
 * A value for one top-level field. `hostile` payloads draw ids, events and timestamps from garbage
 * too; the others keep those well-formed (non-empty text, valid timestamps) so that most of them
 * reach serialisation, where their traits and properties are still garbage.
 */
function fieldValue(field: string, hostile: boolean): fc.Arbitrary<unknown> {
  const text = hostile
    ? fc.oneof(
        { arbitrary: hostileText.filter((s) => s.length > 0), weight: 8 },
        { arbitrary: hostileScalar, weight: 1 },
        { arbitrary: hostileValue, weight: 1 },
      )
    : fc.oneof(
        hostileText.filter((s) => s.length > 0),
        fc.constantFrom('u1', '42', '9223372036854775808'),
      );
  const bag = fc.oneof(
    {
      arbitrary: fc
        .array(fc.tuple(hostileKey, hostile ? anyCell : hostileValue), { maxLength: 6 })
        .map(objectOf),
      weight: 12,
    },
    { arbitrary: fc.record({ big: hugeText }), weight: 1 },
    { arbitrary: deepValue.map((v) => ({ deep: v })), weight: 1 },
    { arbitrary: anyCell, weight: hostile ? 2 : 0 },
  );
  switch (field) {
    case 'userId':
    case 'anonymousId':
    case 'groupId':
    case 'event':
      return text;
    case 'timestamp':
      return hostile
        ? fc.oneof({ arbitrary: timestampText, weight: 8 }, { arbitrary: hostileScalar, weight: 1 })
        : validTimestamp;
    default:
      return bag;
  }
}

/** A payload using only the object's fields (the workspace loader guarantees no others reach here). */
function payloadFor(object: ObjectKind, hostile: boolean): fc.Arbitrary<Record<string, unknown>> {
  const fields = segmentObjects[object].fields;
  const entries = fields.map((field) => {
    const required = !hostile && (field === 'userId' || field === 'groupId' || field === 'event');
    const value = fieldValue(field, hostile);
    return required ? value : fc.option(value, { nil: undefined, freq: 3 });
  });
  return fc.tuple(...entries).map((values) => {
    const payload: Record<string, unknown> = {};
    values.forEach((value, i) => {
      if (value !== undefined) payload[fields[i] as string] = value;
    });
    return payload;
  });
}

const objectKind = fc.constantFrom<ObjectKind>('user', 'group', 'event');
const payloadCase = fc
  .tuple(objectKind, fc.boolean())
  .chain(([object, hostile]) => fc.tuple(fc.constant(object), payloadFor(object, hostile)));

/** Every promise a prepared-then-encoded message must keep, checked against the receiver's rules. */
function expectSendable(object: ObjectKind, message: EncodedMessage, messageId: string): void {
  expect(message.bytes).toBe(Buffer.byteLength(message.json));
  expect(message.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  const parsed = JSON.parse(message.json) as Record<string, unknown>;
  expect(discardReason(parsed)).toBeUndefined();
  expect(parsed.type).toBe(SEGMENT_CALLS[object]);
  expect(parsed.messageId).toBe(messageId);
  const ids = [parsed.userId, parsed.anonymousId].filter((id) => id !== undefined);
  expect(ids.length).toBeGreaterThan(0);
  // SPEC §3: blank ids and event names count as missing, so none is ever sent.
  const present = (value: unknown) => typeof value === 'string' && !/^\p{White_Space}*$/u.test(value);
  for (const id of ids) expect(present(id)).toBe(true);
  if (object === 'group') expect(present(parsed.groupId)).toBe(true);
  if (object === 'event') expect(present(parsed.event)).toBe(true);
  const bag = object === 'event' ? parsed.properties : parsed.traits;
  expect(isPlainObject(bag)).toBe(true);
  expect(isPlainObject(parsed.context)).toBe(true);
  expect((parsed.context as Record<string, unknown>).library).toEqual({ name: 'sluice', version: '1.2.3' });
  expect(typeof parsed.timestamp).toBe('string');
  expect(isCanonicalTimestamp(parsed.timestamp as string)).toBe(true);
  expect(parseIsoTimestamp(parsed.timestamp)).toBeDefined();
}

describe('SegmentMessageCodec over arbitrary payloads', () => {
  it('never throws; refusals carry a SPEC §3 code; what it accepts Segment accepts', () => {
    checkProperty(
      fc.property(payloadCase, fc.string({ maxLength: 20 }), ([object, payload], seed) => {
        const result = codec.prepare(object, payload);
        if (!result.ok) {
          expect(PREPARE_REASONS).toContain(result.reason);
          expect(result.message.length).toBeGreaterThan(0);
          // A refusal's sentence is short: it quotes values, it does not dump them.
          expect(result.message.length).toBeLessThan(400);
          return;
        }
        expect(result.bytes).toBe(Buffer.byteLength(result.json));
        const messageId = messageIdFor(seed);
        expectSendable(object, codec.encode(result, 'k', messageId, PLANNED), messageId);
      }),
      300,
    );
  });

  it('keeps any prepared message under 32 KB with the messageId Sluice sends', () => {
    // Payloads whose size sits around the limit, in multi-byte and JSON-escaped characters.
    const nearLimit = fc.record({
      object: objectKind,
      text: hugeText,
      pad: fc.integer({ min: 0, max: 2_000 }),
    });
    checkProperty(
      fc.property(nearLimit, ({ object, text, pad }) => {
        const bag = object === 'event' ? 'properties' : 'traits';
        const payload: Record<string, unknown> = {
          userId: 'u',
          [bag]: { text, pad: 'p'.repeat(pad) },
          ...(object === 'group' ? { groupId: 'g' } : {}),
          ...(object === 'event' ? { event: 'E' } : {}),
        };
        const result = codec.prepare(object, payload);
        if (!result.ok) {
          expect(result.reason).toBe('message_too_large');
          return;
        }
        // Sized exactly for Sluice's ids (destination.ts SENT_MESSAGE_ID_LENGTH), not a worst case.
        const messageId = messageIdFor(text);
        expectSendable(object, codec.encode(result, 'k', messageId, PLANNED), messageId);
      }),
      150,
    );
  });

  it('refuses a message nested too deeply to serialise as a row, not by throwing', () => {
    for (const kind of ['array', 'object'] as const) {
      let deep: unknown = 1;
      for (let i = 0; i < 100_000; i++) deep = kind === 'array' ? [deep] : { a: deep };
      const result = codec.prepare('user', { userId: 'u', traits: { deep } });
      expect(result).toMatchObject({ ok: false, reason: 'message_too_large' });
    }
  });
});

describe('normaliseTimestamp over arbitrary text', () => {
  it('gives either null or a canonical UTC timestamp the receiver accepts', () => {
    checkProperty(
      fc.property(fc.oneof(timestampText, hostileScalar), (value) => {
        const normalised = normaliseTimestamp(value);
        if (normalised === null) return;
        expect(isCanonicalTimestamp(normalised)).toBe(true);
        expect(parseIsoTimestamp(normalised)).toBeDefined();
      }),
      500,
    );
  });
});

describe('batch bodies', () => {
  const encodedBatch = fc
    .array(fc.tuple(objectKind, fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 4 })), {
      minLength: 1,
      maxLength: 40,
    })
    .map((items) =>
      items.flatMap(([object, entries], i) => {
        const payload: Record<string, unknown> = {
          userId: `u${i}`,
          [object === 'event' ? 'properties' : 'traits']: objectOf(entries),
          ...(object === 'group' ? { groupId: `g${i}` } : {}),
          ...(object === 'event' ? { event: 'E' } : {}),
        };
        const prepared = codec.prepare(object, payload);
        return prepared.ok ? [codec.encode(prepared, `k${i}`, messageIdFor(String(i)), PLANNED)] : [];
      }),
    );

  it('count their bytes exactly, and the receiver takes every message of a body within the limits', () => {
    checkProperty(
      fc.property(encodedBatch, (batch) => {
        const body = batchBody(batchBodyPrefix(batch), PLANNED);
        expect(batchBodyBytes(batch)).toBe(Buffer.byteLength(body));
        const raw = Buffer.from(body);
        const request = parseIngestRequest(
          'batch',
          {
            contentType: 'application/json',
            authorization: `Basic ${Buffer.from('k:').toString('base64')}`,
            contentEncoding: undefined,
          },
          { body: raw, bytes: raw.length, truncated: false },
        );
        expect(request.ok).toBe(true);
        if (!request.ok) return;
        expect(request.messages).toHaveLength(batch.length);
        for (const message of request.messages) expect(discardReason(message)).toBeUndefined();
      }),
      200,
    );
  });
});
