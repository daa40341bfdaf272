// The HTTP inspector's hook: every attempt the Segment client makes reaches `onExchange`, against
// the real receiver over loopback, and nothing it hands over holds the write key in any form.

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { Secret } from '../../core/workspace.js';
import { type Receiver, startReceiver } from '../../receiver/receiver.js';
import type { EncodedMessage, Exchange, RetryNotice } from '../destination.js';
import { createSegmentDestination, type SegmentDestination } from './segment-destination.js';

const KEY = 'wk_live_Exch4ngeSecret';
const BASIC = Buffer.from(`${KEY}:`).toString('base64');
const PLANNED = '2025-06-01T12:00:00.000Z';

let receiver: Receiver;
const opened: SegmentDestination[] = [];

function destinationAt(endpoint: string, maxAttempts = 4): SegmentDestination {
  const d = createSegmentDestination(
    { type: 'segment', writeKey: new Secret(KEY), region: 'us', endpoint, concurrency: 1, timeoutMs: 5000 },
    { version: '1.2.3', retry: { maxAttempts, minDelayMs: 1, maxDelayMs: 5 } },
  );
  opened.push(d);
  return d;
}

/** Messages that carry the raw key in a property, as a careless model might: it must not leak either. */
function messages(d: SegmentDestination, count: number): EncodedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const p = d.prepare('event', {
      userId: `u${i}`,
      event: 'Inspected',
      properties: { i, note: `key ${KEY}` },
    });
    if (!p.ok) throw new Error(p.message);
    return d.encode(p, `k${i}`, `exch-${i}`, PLANNED);
  });
}

function expectNoKey(exchanges: readonly Exchange[]): void {
  const text = JSON.stringify(exchanges);
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(BASIC);
  for (const e of exchanges) expect(e.requestHeaders.authorization).toBe('[secret]');
}

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [KEY] });
});
beforeEach(() => {
  receiver.reset();
  receiver.setFaults({});
});
afterAll(async () => {
  for (const d of opened) await d.close();
  await receiver?.close();
});

describe('Segment exchange observer', () => {
  it('reports a 503 and its successful retry, each attempt with request, answer and latency, redacted', async () => {
    receiver.setFaults({ failRate: 1, failStatus: 503 });
    const d = destinationAt(receiver.url);
    const exchanges: Exchange[] = [];
    const notices: RetryNotice[] = [];
    const batch = messages(d, 3);
    const outcomes = await d.send(batch, {
      onExchange: (e) => exchanges.push(e),
      onRetry: (notice) => {
        notices.push(notice);
        receiver.setFaults({}); // the retry goes through
      },
    });
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
    expect(notices).toHaveLength(1);
    expect(exchanges.map((e) => [e.attempt, e.status])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    for (const e of exchanges) {
      expect(e.method).toBe('POST');
      expect(e.url).toBe(`${receiver.url}/v1/batch`);
      expect(e.latencyMs).toBeGreaterThanOrEqual(0);
      expect(e.requestHeaders['content-type']).toBe('application/json');
      const body = JSON.parse(e.requestBody) as {
        batch: { messageId: string; properties: { note: string } }[];
      };
      expect(body.batch.map((m) => m.messageId)).toEqual(['exch-0', 'exch-1', 'exch-2']);
      expect(body.batch[0]!.properties.note).toBe('key [secret]');
      expect(Object.keys(e.responseHeaders).length).toBeGreaterThan(0);
    }
    expect(exchanges[0]!.responseBody).toContain('injected_failure');
    expect(exchanges[1]!.requestHeaders['x-retry-count']).toBe('1');
    expect(receiver.messages()).toHaveLength(3);
    expectNoKey(exchanges);
  });

  it('reports attempts that got no answer, with the reason and no status', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const d = destinationAt(`http://127.0.0.1:${port}`, 2);
    const exchanges: Exchange[] = [];
    const failure = await d.send(messages(d, 1), { onExchange: (e) => exchanges.push(e) }).catch((e) => e);
    expect(isSluiceError(failure) && failure.code).toBe('destination_fatal');
    expect(exchanges.map((e) => [e.attempt, e.status])).toEqual([
      [1, undefined],
      [2, undefined],
    ]);
    expect(exchanges[0]!.error).toMatch(/ECONNREFUSED/);
    expectNoKey(exchanges);
  });

  it('delivers as if nobody watched when the observer throws', async () => {
    const d = destinationAt(receiver.url);
    const outcomes = await d.send(messages(d, 2), {
      onExchange: () => {
        throw new Error('inspector broke');
      },
    });
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
    expect(receiver.stats().requests).toBe(1);
  });
});
