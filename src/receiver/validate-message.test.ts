import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './receiver.js';
import { DISCARD_REASONS, discardReason } from './validate-message.js';

async function postBatch(r: Receiver, body: Record<string, unknown>): Promise<number> {
  const res = await request(`${r.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ writeKey: 'k', ...body }),
  });
  expect(await res.body.json()).toEqual({ success: true });
  return res.statusCode;
}

const ts = '2024-01-02T03:04:05.000Z';

/** One message per discard reason of segment-contract.md §1/§3.2, plus the referee's own. */
const cases: [string, unknown][] = [
  ['message_not_object', 'just a string'],
  ['message_not_object', null],
  ['message_not_object', [{ type: 'identify', userId: 'u' }]],
  ['invalid_type', { userId: 'u' }],
  ['invalid_type', { type: 'Identify', userId: 'u' }],
  ['message_id_invalid', { type: 'identify', userId: 'u', messageId: 42 }],
  ['message_id_invalid', { type: 'identify', userId: 'u', messageId: '' }],
  ['message_id_invalid', { type: 'identify', userId: 'u', messageId: 'x'.repeat(101) }],
  ['no_user_anon_id', { type: 'identify', traits: {} }],
  ['no_user_anon_id', { type: 'track', event: 'E', userId: null, anonymousId: null }],
  ['no_user_anon_id', { type: 'group', groupId: 'g' }],
  ['id_not_string', { type: 'identify', userId: 42 }],
  ['id_not_string', { type: 'identify', userId: '' }],
  ['id_not_string', { type: 'identify', userId: 'u', anonymousId: { id: 1 } }],
  ['id_not_string', { type: 'alias', userId: 'u', previousId: 7 }],
  ['alias_id_required', { type: 'alias', userId: 'u' }],
  ['alias_id_required', { type: 'alias', anonymousId: 'a', previousId: 'p' }],
  ['invalid_timestamp', { type: 'identify', userId: 'u', timestamp: '2024-01-02T03:04:05' }],
  ['invalid_timestamp', { type: 'identify', userId: 'u', timestamp: 1704164645000 }],
  ['invalid_timestamp', { type: 'identify', userId: 'u', timestamp: null }],
  ['invalid_sent_at', { type: 'identify', userId: 'u', sentAt: 'yesterday' }],
  ['context_not_object', { type: 'identify', userId: 'u', context: 'ctx' }],
  ['context_not_object', { type: 'identify', userId: 'u', context: null }],
  ['integrations_not_object', { type: 'identify', userId: 'u', integrations: ['All'] }],
  ['traits_not_object', { type: 'identify', userId: 'u', traits: [] }],
  ['traits_not_object', { type: 'identify', userId: 'u', traits: null }],
  ['traits_not_object', { type: 'group', userId: 'u', groupId: 'g', traits: 'x' }],
  ['id_required', { type: 'group', userId: 'u' }],
  ['id_required', { type: 'group', userId: 'u', groupId: '' }],
  ['id_required', { type: 'group', userId: 'u', groupId: 42 }],
  ['event_not_defined', { type: 'track', userId: 'u' }],
  ['event_not_defined', { type: 'track', userId: 'u', event: null }],
  ['event_not_string', { type: 'track', userId: 'u', event: '' }],
  ['event_not_string', { type: 'track', userId: 'u', event: 5 }],
  ['properties_not_object', { type: 'track', userId: 'u', event: 'E', properties: [1] }],
  ['properties_not_object', { type: 'page', userId: 'u', properties: 'p' }],
  ['name_not_string', { type: 'page', userId: 'u', name: '' }],
  ['name_not_string', { type: 'screen', userId: 'u', name: 3 }],
  ['category_not_string', { type: 'page', userId: 'u', name: 'Home', category: false }],
];

/** Messages that look odd but that Segment accepts, and so must the referee. */
const accepted: unknown[] = [
  { type: 'identify', anonymousId: 'a' },
  { type: 'identify', userId: 'u', anonymousId: null, traits: {} },
  { type: 'track', userId: 'u', event: 'E', timestamp: '2024-01-02T05:04:05+02:00' },
  { type: 'group', anonymousId: 'a', groupId: 'g', traits: { name: 'Acme' } },
  { type: 'page', userId: 'u', name: null, category: null },
  { type: 'screen', userId: 'u', name: 'Home', category: 'Main', properties: {} },
  { type: 'alias', userId: 'u', previousId: 'p' },
  {
    type: 'identify',
    userId: 'u',
    messageId: 'x'.repeat(100),
    integrations: { All: false, Mixpanel: { a: 1 } },
  },
];

describe('per-message discards (segment-contract.md §1 "partial batch failure")', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r.close());
  beforeEach(() => r.reset());

  it('drops each bad message with its reason, keeps the good ones, and answers 200', async () => {
    const batch = [...cases.map(([, message]) => message), ...accepted];
    expect(await postBatch(r, { batch, sentAt: ts })).toBe(200);
    expect(r.discards().map((d) => d.reason)).toEqual(cases.map(([reason]) => reason));
    expect(r.discards().map((d) => d.message)).toEqual(cases.map(([, message]) => message));
    expect(r.messages()).toHaveLength(accepted.length);
    const byReason: Record<string, number> = {};
    for (const [reason] of cases) byReason[reason] = (byReason[reason] ?? 0) + 1;
    expect(r.stats()).toMatchObject({
      accepted: accepted.length,
      discarded: cases.length,
      discardsByReason: byReason,
    });
  });

  it('records the messageId of a discarded message when it has one', async () => {
    await postBatch(r, { batch: [{ type: 'track', userId: 'u', messageId: 'bad-1' }] });
    expect(r.discards()).toEqual([
      {
        reason: 'event_not_defined',
        messageId: 'bad-1',
        message: { type: 'track', userId: 'u', messageId: 'bad-1' },
      },
    ]);
  });

  it('does not let a discarded message claim its messageId for dedup', async () => {
    await postBatch(r, { batch: [{ type: 'track', userId: 'u', messageId: 'm' }] });
    await postBatch(r, { batch: [{ type: 'track', userId: 'u', event: 'E', messageId: 'm' }] });
    expect(r.stats()).toMatchObject({ accepted: 1, discarded: 1, duplicates: 0 });
  });

  it.each([
    ['context_not_object', { context: 'x' }],
    ['integrations_not_object', { integrations: null }],
    ['invalid_sent_at', { sentAt: '2024-01-02' }],
  ])('drops every message when the batch-level field is bad: %s', async (reason, envelope) => {
    await postBatch(r, {
      ...envelope,
      batch: [
        { type: 'identify', userId: 'a' },
        { type: 'identify', userId: 'b' },
      ],
    });
    expect(r.discards().map((d) => d.reason)).toEqual([reason, reason]);
    expect(r.stats().accepted).toBe(0);
  });

  it('counts an empty batch as one empty_batch discard', async () => {
    await postBatch(r, { batch: [] });
    expect(r.stats()).toMatchObject({ accepted: 0, discarded: 1, discardsByReason: { empty_batch: 1 } });
  });

  it('validates single calls the same way', async () => {
    const res = await request(`${r.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ writeKey: 'k', userId: 'u', event: '' }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(r.discards().map((d) => d.reason)).toEqual(['event_not_string']);
  });
});

describe('DISCARD_REASONS', () => {
  it('documents every code discardReason can return, with its origin', () => {
    const returned = new Set(cases.map(([reason]) => reason));
    for (const reason of returned) expect(DISCARD_REASONS).toHaveProperty(reason);
    for (const message of accepted) expect(discardReason(message)).toBeUndefined();
    const segmentCodes = Object.entries(DISCARD_REASONS)
      .filter(([, v]) => v.origin === 'segment')
      .map(([k]) => k);
    expect(segmentCodes.sort()).toEqual(
      [
        'category_not_string',
        'empty_batch',
        'event_not_defined',
        'event_not_string',
        'id_not_string',
        'id_required',
        'name_not_string',
        'no_user_anon_id',
        'properties_not_object',
        'traits_not_object',
      ].sort(),
    );
  });
});
