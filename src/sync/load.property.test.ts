// Bad input, property-based, through the real per-row stage and the real loader:
// hostile rows become either a SPEC §3 reason code or a message Segment accepts, and whatever mix
// of message sizes and counts the loader is given, no request to the (real, local) receiver goes
// over Segment's limits and every message arrives exactly once.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  anyCell,
  checkAsyncProperty,
  checkProperty,
  hostileText,
  hostileValue,
  nastyChar,
  objectOf,
} from '../../test/helpers/hostile-values.js';
import { type RecordingProxy, startRecordingProxy } from '../../test/helpers/recording-proxy.js';
import type { Row } from '../core/values.js';
import { type ObjectKind, Secret } from '../core/workspace.js';
import type { Destination, EncodedMessage, MessageOutcome } from '../destinations/destination.js';
import { destinationType } from '../destinations/registry.js';
import { compileMapping, type MappingSpec } from '../mapping/compile-mapping.js';
import { LIMITS, type Receiver, startReceiver } from '../receiver/receiver.js';
import { discardReason } from '../receiver/validate-message.js';
import { Loader } from './load.js';
import { createRowMapper, type RowMapper } from './map.js';
import { deriveMessageId } from './message-id.js';

const KEY = 'wk_property_test_key';
const PLANNED = '2025-06-01T12:00:00.000Z';
const SPEC_REASONS = new Set([
  'null_key',
  'duplicate_key',
  'missing_identity',
  'missing_group_id',
  'missing_event',
  'invalid_timestamp',
  'not_an_object',
  'message_too_large',
  'template_error',
]);

let receiver: Receiver;
let proxy: RecordingProxy;

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [KEY] });
  proxy = await startRecordingProxy(receiver.url);
});

afterAll(async () => {
  await proxy?.close();
  await receiver?.close();
});

function segment(endpoint: string, concurrency = 4): Destination {
  const config = {
    type: 'segment',
    writeKey: new Secret(KEY),
    region: 'us',
    endpoint,
    concurrency,
    timeoutMs: 10_000,
  };
  return destinationType('segment')!.create(config, { version: '0.0.0-test' });
}

const column = (name: string) => ({ kind: 'column' as const, column: name });

/** A sync's mappings per object, reading every field from a row column (so from hostile data). */
const SPECS: Record<ObjectKind, MappingSpec> = {
  user: {
    key: { column: 'id', field: 'userId' },
    mappings: [
      { path: 'anonymousId', source: column('anon'), line: 1 },
      { path: 'timestamp', source: column('ts'), line: 2 },
      { path: 'traits', source: column('bag'), line: 3 },
      { path: 'traits.email', source: column('text'), line: 4 },
      {
        path: 'traits.name',
        source: { kind: 'template', template: '{{ text }} {{ anon }}', json: false },
        line: 5,
      },
      { path: 'context.ip', source: column('text'), line: 6 },
      { path: 'integrations', source: column('extra'), line: 7 },
    ],
    bundle: { into: 'traits', exclude: ['ts'] },
    nulls: 'send',
    idFields: ['userId', 'anonymousId', 'groupId'],
    objectFields: ['traits', 'context', 'integrations'],
  },
  group: {
    key: { column: 'id', field: 'groupId' },
    mappings: [
      { path: 'userId', source: column('anon'), line: 1 },
      { path: 'timestamp', source: column('ts'), line: 2 },
      { path: 'traits', source: column('bag'), line: 3 },
      { path: 'traits.tags[2]', source: column('text'), line: 4 },
      { path: 'context', source: column('extra'), line: 5 },
    ],
    nulls: 'skip',
    idFields: ['userId', 'anonymousId', 'groupId'],
    objectFields: ['traits', 'context', 'integrations'],
  },
  event: {
    key: { column: 'id' },
    mappings: [
      { path: 'event', source: column('text'), line: 1 },
      { path: 'userId', source: column('anon'), line: 2 },
      { path: 'timestamp', source: column('ts'), line: 3 },
      { path: 'properties', source: column('bag'), line: 4 },
      { path: 'properties.revenue', source: column('extra'), line: 5 },
      {
        path: 'properties.json',
        source: { kind: 'template', template: '{{ extra | json }}', json: true },
        line: 6,
      },
    ],
    bundle: { into: 'context.columns' },
    nulls: 'send',
    idFields: ['userId', 'anonymousId', 'groupId'],
    objectFields: ['properties', 'context', 'integrations'],
  },
};

/** A cell that is usually plausible for its column and sometimes anything at all. */
function cell(plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: plausible, weight: 3 }, { arbitrary: anyCell, weight: 1 });
}

const row: fc.Arbitrary<Row> = fc
  .record({
    id: cell(fc.oneof(fc.integer(), hostileText)),
    anon: cell(hostileText.filter((s) => s.length > 0)),
    ts: cell(
      fc
        .date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
    ),
    text: cell(hostileText.filter((s) => s.length > 0)),
    bag: cell(fc.array(fc.tuple(hostileText, hostileValue), { maxLength: 5 }).map(objectOf)),
    extra: cell(fc.array(fc.tuple(hostileText, hostileValue), { maxLength: 3 }).map(objectOf)),
  })
  .map((r) => objectOf(Object.entries(r)) as Row);

describe('the per-row stage (map → validate → serialise) over hostile rows', () => {
  it('gives a SPEC §3 reason or a message the receiver accepts, for every object', () => {
    const destination = segment('http://127.0.0.1:9');
    let ready = 0;
    checkProperty(
      fc.property(fc.constantFrom<ObjectKind>('user', 'group', 'event'), row, (object, r) => {
        const mapper = createRowMapper({
          keyColumn: 'id',
          object,
          mapping: compileMapping(SPECS[object]),
          destination,
          salt: object,
        });
        const outcome = mapper.mapRow(r);
        if (outcome.kind === 'invalid') {
          expect(SPEC_REASONS).toContain(outcome.reason);
          return;
        }
        ready++;
        const messageId = deriveMessageId('ws', `sync-${object}`, outcome.key, 1);
        const message = destination.encode(outcome.prepared, outcome.key, messageId, PLANNED);
        expect(message.bytes).toBe(Buffer.byteLength(message.json));
        expect(message.bytes).toBeLessThanOrEqual(LIMITS.maxMessageBytes);
        expect(discardReason(JSON.parse(message.json))).toBeUndefined();
      }),
      300,
    );
    expect(ready).toBeGreaterThan(50);
  });
});

describe('createRowMapper', () => {
  // Found by the property above: keyToString's JSON.stringify overflowed the stack on a key cell
  // nested thousands of levels deep, and the exception failed the whole run instead of the row.
  it("reports a key too deeply nested to write down as the row's null_key, not a crash", () => {
    let deep: unknown = 'k';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const mapper = createRowMapper({
      keyColumn: 'id',
      object: 'user',
      mapping: compileMapping(SPECS.user),
      destination: segment('http://127.0.0.1:9'),
      salt: 'user',
    });
    expect(
      mapper.mapRow({ id: deep as Row[string], anon: 'a', ts: null, text: 't', bag: null, extra: null }),
    ).toMatchObject({
      kind: 'invalid',
      key: null,
      reason: 'null_key',
      message: expect.stringContaining('nested too deeply'),
    });
  });
});

describe('RowMapper.fingerprint', () => {
  const mapperWith = (salt: string) =>
    createRowMapper({
      keyColumn: 'id',
      object: 'user',
      mapping: compileMapping(SPECS.user),
      destination: segment('http://127.0.0.1:9'),
      salt,
    });

  it('is equal for equal rows and differs when a value, a type or the salt differs', () => {
    const mapper = mapperWith('mapping v1');
    const base = { id: 1, anon: 'a', ts: null, text: 't', bag: { x: [1, 2] }, extra: null } as Row;
    const of = (m: RowMapper, row: Row) => m.fingerprint({ kind: 'keyed', key: '1', row, rowHash: null });
    expect(of(mapper, { ...base })).toBe(of(mapper, { ...base }));
    expect(of(mapper, { ...base, text: 'u' })).not.toBe(of(mapper, base));
    expect(of(mapper, { ...base, id: '1' })).not.toBe(of(mapper, base));
    expect(of(mapper, { ...base, bag: { x: [2, 1] } })).not.toBe(of(mapper, base));
    expect(of(mapperWith('mapping v2'), base)).not.toBe(of(mapper, base));
    // A hash from the warehouse stands for the row, still under the salt.
    const hashed = (m: RowMapper, rowHash: string) =>
      m.fingerprint({ kind: 'keyed', key: '1', row: base, rowHash });
    expect(hashed(mapper, 'abc')).toBe(hashed(mapper, 'abc'));
    expect(hashed(mapper, 'abc')).not.toBe(hashed(mapper, 'abd'));
    expect(hashed(mapperWith('mapping v2'), 'abc')).not.toBe(hashed(mapper, 'abc'));
  });

  it('gives a row too deeply nested to write down a fingerprint that matches nothing', () => {
    let deep: unknown = 'k';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const row = { id: 1, bag: deep as Row[string] };
    expect(mapperWith('s').fingerprint({ kind: 'keyed', key: '1', row, rowHash: null })).toBe('');
  });
});

/** How big the messages of one load are: many tiny ones (count-bound) or fewer big ones (bytes-bound). */
const idStyle = fc.constantFrom<IdStyle>('short', 'derived', 'longest');
const loadShape = fc.oneof(
  fc.record({
    count: fc.integer({ min: 1, max: 6_000 }),
    minPad: fc.constant(0),
    maxPad: fc.integer({ min: 0, max: 200 }),
    char: nastyChar,
    ids: idStyle,
  }),
  fc.record({
    count: fc.integer({ min: 1, max: 160 }),
    minPad: fc.integer({ min: 0, max: 20_000 }),
    maxPad: fc.constant(32_000),
    char: nastyChar,
    ids: idStyle,
  }),
);

/**
 * messageIds as the sync derives them (46 characters), as long as Segment keeps (100), or short:
 * with short ids a minimal identify is under 480 KB / 2,500 bytes, so the count limit binds first.
 */
type IdStyle = 'short' | 'derived' | 'longest';

function messageId(style: IdStyle, run: number, i: number): string {
  if (style === 'short') return `${run.toString(36)}.${i.toString(36)}`;
  const derived = deriveMessageId('ws', `load-${run}`, `u${i}`, 1);
  return style === 'derived' ? derived : `${derived}${'-'.repeat(100)}`.slice(0, 100);
}

/**
 * Encoded messages whose traits hold about `minPad`..`maxPad` bytes of JSON (in `char`, which may
 * cost up to 6 bytes escaped), each shrunk until it prepares.
 */
function messagesFor(
  destination: Destination,
  shape: { count: number; minPad: number; maxPad: number; char: string; ids: IdStyle },
  sizes: number[],
  run: number,
): EncodedMessage[] {
  const charBytes = Buffer.byteLength(JSON.stringify(shape.char)) - 2;
  const out: EncodedMessage[] = [];
  for (let i = 0; i < shape.count; i++) {
    const bytes = shape.minPad + ((sizes[i % sizes.length] ?? 0) % (shape.maxPad - shape.minPad + 1));
    let pad = Math.floor(bytes / charBytes);
    for (;;) {
      const prepared = destination.prepare('user', {
        userId: i.toString(36),
        traits: { pad: shape.char.repeat(pad) },
      });
      if (prepared.ok) {
        out.push(destination.encode(prepared, `u${i}`, messageId(shape.ids, run, i), PLANNED));
        break;
      }
      pad = Math.floor(pad * 0.9);
    }
  }
  return out;
}

describe('the loader with a real Segment destination and receiver', () => {
  it('keeps sending while answered batches wait to be recorded, up to as many again as requests', async () => {
    receiver.reset();
    proxy.requests.length = 0;
    const concurrency = 2;
    const destination = segment(proxy.url, concurrency);
    // 6 batches of 2,500 small messages: the count limit binds, not the bytes.
    const messages = messagesFor(
      destination,
      { count: 15_000, minPad: 0, maxPad: 0, char: 'x', ids: 'short' },
      [0],
      9_999,
    );
    let release!: () => void;
    const recorded = new Promise<void>((resolve) => {
      release = resolve;
    });
    let recording = 0;
    const loader = new Loader(destination, async () => {
      recording++;
      await recorded; // the state store is slow: nothing is recorded until released
    });
    try {
      const pushing = (async () => {
        for (const message of messages) await loader.push(message);
        await loader.finish();
      })();
      // Answered batches free their request slots: 2 × concurrency get sent and answered, then the
      // loader waits for recording instead of sending more.
      await vi.waitFor(() => expect(recording).toBe(2 * concurrency), { timeout: 10_000 });
      expect(proxy.requests).toHaveLength(2 * concurrency);
      release();
      await pushing;
      expect(proxy.requests).toHaveLength(6);
      expect(receiver.stats().accepted).toBe(15_000);
    } finally {
      release();
      await destination.close();
    }
  });

  it('never sends a request over 2,500 messages or 500,000 bytes, and delivers every message once', async () => {
    let run = 0;
    const largest = { messages: 0, bytes: 0 };
    await checkAsyncProperty(
      fc.asyncProperty(
        loadShape,
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 4 }),
        async (shape, sizes, concurrency) => {
          run++;
          receiver.reset();
          proxy.requests.length = 0;
          const destination = segment(proxy.url, concurrency);
          const messages = messagesFor(destination, shape, sizes, run);
          const settled: { batch: readonly EncodedMessage[]; outcomes: readonly MessageOutcome[] }[] = [];
          const loader = new Loader(destination, async (batch, outcomes) => {
            settled.push({ batch, outcomes });
          });
          try {
            for (const message of messages) await loader.push(message);
            await loader.finish();
          } finally {
            await destination.close();
          }

          for (const request of proxy.requests) {
            expect(request.bytes).toBeLessThanOrEqual(LIMITS.maxBatchBytes);
            const body = JSON.parse(request.body) as { batch: unknown[] };
            expect(body.batch.length).toBeLessThanOrEqual(LIMITS.maxBatchMessages);
            largest.messages = Math.max(largest.messages, body.batch.length);
            largest.bytes = Math.max(largest.bytes, request.bytes);
          }
          const sent = settled.flatMap((s) => s.batch.map((m) => m.messageId));
          expect(new Set(sent).size).toBe(messages.length);
          expect(sent).toHaveLength(messages.length);
          for (const s of settled) for (const o of s.outcomes) expect(o).toEqual({ status: 'succeeded' });
          const stats = receiver.stats();
          expect(stats.rejectedRequests).toBe(0);
          expect(stats.discarded).toBe(0);
          expect(stats.duplicates).toBe(0);
          expect(stats.accepted).toBe(messages.length);
        },
      ),
      12,
      [
        // Tiny messages: cut by the 2,500-message limit. Near-32 KB ones: cut by the byte budget.
        [{ count: 5_100, minPad: 0, maxPad: 0, char: 'x', ids: 'short' }, [0], 2],
        [{ count: 40, minPad: 30_000, maxPad: 32_000, char: '😀', ids: 'longest' }, [0, 999], 3],
      ],
    );
    // Not vacuous: some loads were cut by the count limit, others by the byte budget.
    expect(largest.messages).toBe(LIMITS.maxBatchMessages);
    expect(largest.bytes).toBeGreaterThan(400_000);
  });
});
