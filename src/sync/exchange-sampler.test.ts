import { describe, expect, it } from 'vitest';
import type { Exchange } from '../destinations/destination.js';
import { ExchangeSampler, messageIdsOf, storedExchange } from './exchange-sampler.js';

const at = new Date('2026-12-06T10:00:00.000Z');

function exchange(status: number | undefined, body = '{"batch":[{"messageId":"m1"}]}'): Exchange {
  return {
    method: 'POST',
    url: 'https://api.segment.io/v1/batch',
    requestHeaders: { authorization: '[secret]', 'content-type': 'application/json', 'x-api-key': 'k' },
    requestBody: body,
    status,
    responseHeaders: { 'set-cookie': 'session=abc', 'content-type': 'application/json' },
    responseBody: status === undefined ? '' : '{"success":true}',
    ...(status === undefined ? { error: 'no answer within 10000 ms' } : {}),
    latencyMs: 12.6,
    attempt: 2,
  };
}

describe('ExchangeSampler', () => {
  it('keeps every failed exchange, the first successful ones, then one in M', () => {
    const sampler = new ExchangeSampler({
      firstSucceeded: 3,
      oneInSucceeded: 4,
      bodyBytes: 1000,
      runBytes: 1e6,
    });
    const kept: (number | null)[] = [];
    for (let i = 0; i < 15; i++) {
      const status = i % 3 === 2 ? 503 : 200;
      if (sampler.take(exchange(status), at) !== null) kept.push(i);
    }
    kept.push(sampler.take(exchange(undefined), at) === null ? null : 15);
    // Successes are 0,1,3,4,6,7,9,10,12,13: the first 3 (0,1,3), then every 4th after (9: the 7th).
    // Failures (2,5,8,11,14) and the exchange with no answer are all kept.
    expect(kept).toEqual([0, 1, 2, 3, 5, 8, 9, 11, 14, 15]);
  });

  it('stops at the run budget, successes at half of it, failures at all of it', () => {
    const one = JSON.stringify(storedExchange(exchange(200), at, 1000)).length;
    const sampler = new ExchangeSampler({
      firstSucceeded: 100,
      oneInSucceeded: 1,
      bodyBytes: 1000,
      runBytes: one * 4,
    });
    const succeeded = Array.from({ length: 5 }, () => sampler.take(exchange(200), at));
    expect(succeeded.filter((e) => e !== null)).toHaveLength(2);
    const failed = Array.from({ length: 5 }, () => sampler.take(exchange(500), at));
    expect(failed.filter((e) => e !== null)).toHaveLength(2);
    expect(sampler.dropped).toBe(6);
  });
});

describe('storedExchange', () => {
  it('cuts bodies to the limit on a character boundary, keeping every messageId', () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({
      messageId: `sl-${i}`,
      traits: { name: 'Zoë'.repeat(20) },
    }));
    const body = JSON.stringify({ batch: messages, sentAt: at.toISOString() });
    const stored = storedExchange(exchange(500, body), at, 101);
    expect(Buffer.byteLength(stored.requestBody)).toBeLessThanOrEqual(101);
    expect(body.startsWith(stored.requestBody)).toBe(true);
    expect(stored.requestBody).not.toContain('\uFFFD');
    expect(stored).toMatchObject({
      status: 500,
      error: null,
      latencyMs: 13,
      attempt: 2,
      requestBytes: Buffer.byteLength(body),
      truncated: true,
      messageIds: messages.map((m) => m.messageId),
    });
  });

  it('redacts secret-looking headers whatever the destination did', () => {
    const stored = storedExchange(exchange(undefined), at, 100);
    expect(stored.requestHeaders).toEqual({
      authorization: '[secret]',
      'content-type': 'application/json',
      'x-api-key': '[secret]',
    });
    expect(stored.responseHeaders['set-cookie']).toBe('[secret]');
    expect(stored).toMatchObject({ status: null, error: 'no answer within 10000 ms', truncated: false });
  });
});

describe('messageIdsOf', () => {
  it('reads a batch, one message, an array, and a body that is not JSON', () => {
    expect(messageIdsOf('{"batch":[{"messageId":"a"},{"x":1},{"messageId":"b"}]}')).toEqual(['a', 'b']);
    expect(messageIdsOf('{"type":"identify","messageId":"one"}')).toEqual(['one']);
    expect(messageIdsOf('[{"messageId":"a"},{"messageId":"b"}]')).toEqual(['a', 'b']);
    expect(messageIdsOf('{"messageId":"a"}\n{"messageId": "b\\"c"}\n')).toEqual(['a', 'b\\"c']);
    expect(messageIdsOf('')).toEqual([]);
  });
});
