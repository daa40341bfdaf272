import { describe, expect, it } from 'vitest';
import { ASSIGNED_ID_PREFIX, correctedTimestamp, stampMessage } from './stamp-message.js';

const ms = (iso: string) => Date.parse(iso);

describe('correctedTimestamp', () => {
  it("reproduces segment-contract.md §3.1's worked example", () => {
    // originalTimestamp 06:33:31.593, sentAt 06:33:32.900, receivedAt 06:33:36.745 → 06:33:35.438.
    const corrected = correctedTimestamp(
      ms('2016-06-15T06:33:36.745Z'),
      ms('2016-06-15T06:33:31.593Z'),
      ms('2016-06-15T06:33:32.900Z'),
    );
    expect(new Date(corrected).toISOString()).toBe('2016-06-15T06:33:35.438Z');
  });

  it('does not correct without sentAt, and uses the receive time without a timestamp', () => {
    expect(correctedTimestamp(5_000, 1_000, undefined)).toBe(1_000);
    expect(correctedTimestamp(5_000, undefined, 4_000)).toBe(5_000);
  });
});

describe('stampMessage', () => {
  const receivedAt = '2016-06-15T06:33:36.745Z';

  it('stamps the worked example and keeps the sent timestamp as originalTimestamp', () => {
    const stored = stampMessage(
      { type: 'track', userId: 'u', event: 'E', timestamp: '2016-06-15T08:33:31.593+02:00', messageId: 'm1' },
      { sentAt: '2016-06-15T06:33:32.900Z', sentAtMs: ms('2016-06-15T06:33:32.900Z') },
      ms(receivedAt),
      receivedAt,
    );
    expect(stored).toMatchObject({
      messageId: 'm1',
      receivedAt,
      sentAt: '2016-06-15T06:33:32.900Z',
      originalTimestamp: '2016-06-15T08:33:31.593+02:00',
      timestamp: '2016-06-15T06:33:35.438Z',
    });
  });

  it("prefers the item's own sentAt to the batch's", () => {
    const stored = stampMessage(
      { type: 'track', timestamp: '2016-06-15T06:33:31.593Z', sentAt: '2016-06-15T06:33:31.593Z' },
      { sentAt: '2016-06-15T06:33:32.900Z', sentAtMs: ms('2016-06-15T06:33:32.900Z') },
      ms(receivedAt),
      receivedAt,
    );
    expect(stored.sentAt).toBe('2016-06-15T06:33:31.593Z');
    expect(stored.timestamp).toBe(receivedAt);
  });

  it('assigns a messageId, uses receivedAt as timestamp and drops writeKey and a client receivedAt', () => {
    const stored = stampMessage(
      { type: 'identify', userId: 'u', writeKey: 'secret', receivedAt: 'fake', originalTimestamp: 'fake' },
      {},
      ms(receivedAt),
      receivedAt,
    );
    expect(String(stored.messageId)).toMatch(new RegExp(`^${ASSIGNED_ID_PREFIX}[0-9a-f-]{36}$`));
    expect(stored.timestamp).toBe(receivedAt);
    expect(stored.receivedAt).toBe(receivedAt);
    expect(stored).not.toHaveProperty('writeKey');
    expect(stored).not.toHaveProperty('originalTimestamp');
    expect(stored).not.toHaveProperty('sentAt');
  });

  it('merges batch context and integrations one level deep, item keys winning', () => {
    const stored = stampMessage(
      { type: 'identify', userId: 'u', context: { ip: '1.2.3.4', library: { name: 'item' } } },
      { context: { library: { name: 'batch' }, locale: 'fr' }, integrations: { All: false, Mixpanel: true } },
      ms(receivedAt),
      receivedAt,
    );
    expect(stored.context).toEqual({ ip: '1.2.3.4', library: { name: 'item' }, locale: 'fr' });
    expect(stored.integrations).toEqual({ All: false, Mixpanel: true });
  });
});
