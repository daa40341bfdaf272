import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS, type Receiver, startReceiver } from './receiver.js';
import { basic, identify, KEY, post } from './receiver-client.case.js';

describe('whole-request checks over HTTP', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r.close());
  beforeEach(() => r.reset());

  describe('auth (segment-contract.md §1)', () => {
    const batch = { batch: [identify('u')] };
    it.each([
      ['Basic key:', { authorization: basic(`${KEY}:`) }, {}],
      ['Basic key without the colon', { authorization: basic(KEY) }, {}],
      ['body writeKey only', { authorization: '' }, { writeKey: KEY }],
      ['Bearer token plus body writeKey', { authorization: 'Bearer abc.def' }, { writeKey: KEY }],
    ])('accepts %s', async (_label, headers, extra) => {
      const res = await post(r, '/v1/batch', { ...batch, ...extra }, { headers });
      expect(res.status).toBe(200);
      expect(r.stats().accepted).toBe(1);
      // The key is a credential: it is never stored with the message.
      expect(r.messages()[0]).not.toHaveProperty('writeKey');
    });

    it.each([
      ['no key at all', { authorization: '' }, {}],
      ['an empty Basic username and no body key', { authorization: basic(':') }, {}],
      ['an empty body key', { authorization: '' }, { writeKey: '  ' }],
      ['a Bearer token without body key', { authorization: 'Bearer abc' }, {}],
    ])('refuses %s with 400', async (_label, headers, extra) => {
      const res = await post(r, '/v1/batch', { ...batch, ...extra }, { headers });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ success: false, code: 'missing_write_key' });
      expect(r.stats()).toMatchObject({ rejectedRequests: 1, accepted: 0 });
    });
  });

  describe('400s for the whole request (segment-contract.md §1 "400", §2)', () => {
    it('refuses invalid JSON, invalid UTF-8, a non-object body and a batch that is not an array', async () => {
      const cases: [string | Buffer, string][] = [
        ['{"batch":[', 'invalid_json'],
        [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'invalid_json'],
        ['[1,2]', 'invalid_body'],
        ['{"batch":{}}', 'invalid_body'],
      ];
      for (const [raw, code] of cases) {
        const res = await post(r, '/v1/batch', undefined, { raw });
        expect(res.status, String(raw)).toBe(400);
        expect(res.json).toMatchObject({ success: false, code });
      }
      expect(r.stats().rejectedRequests).toBe(cases.length);
    });

    it('requires Content-Type application/json (parameters allowed)', async () => {
      const body = { batch: [identify('u')] };
      const plain = await post(r, '/v1/batch', body, { headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(400);
      expect(plain.json.code).toBe('unsupported_content_type');
      const charset = await post(r, '/v1/batch', body, {
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      expect(charset.status).toBe(200);
    });

    interface Padded {
      type: string;
      userId: string;
      traits: { pad: string };
    }
    const padded = (userId: string, pad: string): Padded => ({ type: 'identify', userId, traits: { pad } });
    /** Grows `item`'s padding (2-byte "é", then one "x") until `JSON.stringify(value)` is `bytes` long. */
    function padTo(value: unknown, item: Padded, bytes: number): void {
      const missing = bytes - Buffer.byteLength(JSON.stringify(value));
      item.traits.pad += 'é'.repeat(Math.floor(missing / 2)) + 'x'.repeat(missing % 2);
      expect(Buffer.byteLength(JSON.stringify(value))).toBe(bytes);
    }

    it('allows a batch body of exactly 500,000 bytes and refuses 500,001 (counted in UTF-8)', async () => {
      // 20 messages of about 25 KB, so that none of them is over 32 KB.
      const body = (bytes: number) => {
        const items = Array.from({ length: 20 }, (_, i) => padded(`u${i}`, 'x'.repeat(24_900)));
        padTo({ batch: items }, items[0] as Padded, bytes);
        return JSON.stringify({ batch: items });
      };
      expect((await post(r, '/v1/batch', undefined, { raw: body(LIMITS.maxBatchBytes) })).status).toBe(200);
      const over = await post(r, '/v1/batch', undefined, { raw: body(LIMITS.maxBatchBytes + 1) });
      expect(over.status).toBe(400);
      expect(over.json).toMatchObject({
        success: false,
        code: 'payload_too_large',
        message: 'Exceed payload limit',
      });
      expect(r.stats()).toMatchObject({ accepted: 20, rejectedRequests: 1 });
    });

    it('refuses a whole batch when one message is 32,768 bytes (32 KB), and allows exactly 32,767', async () => {
      expect(LIMITS.maxMessageBytes).toBe(32_767);
      const exact = padded('big', '');
      padTo(exact, exact, LIMITS.maxMessageBytes);
      const ok = await post(r, '/v1/batch', { batch: [identify('small'), exact] });
      expect(ok.status).toBe(200);
      const big = padded('big', `${exact.traits.pad}x`);
      const refused = await post(r, '/v1/batch', { batch: [identify('small'), big] });
      expect(refused.status).toBe(400);
      expect(refused.json.code).toBe('message_too_large');
      expect(r.stats()).toMatchObject({ accepted: 2, rejectedRequests: 1 });
    });

    it('measures a message by its compact JSON, not by the whitespace it was sent with', async () => {
      const message = identify('u', { traits: { pad: 'x'.repeat(30_000) } });
      // Whitespace inside the item, so even its raw span in the body is over the limit.
      const item = `{${' '.repeat(20_000)}${JSON.stringify(message).slice(1)}`;
      const pretty = `{"batch":[${item}]}`;
      expect(Buffer.byteLength(item)).toBeGreaterThan(32_768 + 10_000);
      expect((await post(r, '/v1/batch', undefined, { raw: pretty })).status).toBe(200);
    });

    it('catches a message that is small in the body but over 32 KB once re-serialised (1E20 → 21 digits)', async () => {
      const numbers = Array.from({ length: 2_000 }, () => '1E20').join(',');
      const raw = `{"batch":[{"type":"track","userId":"u","event":"E","properties":{"n":[${numbers}]}}]}`;
      expect(Buffer.byteLength(raw)).toBeLessThan(32_768 / 3);
      const res = await post(r, '/v1/batch', undefined, { raw });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('message_too_large');
    });

    it('refuses a single call whose body is 32 KB or more', async () => {
      const body = identify('u', { traits: { pad: 'x'.repeat(32_768) } });
      const res = await post(r, '/v1/identify', body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'payload_too_large', message: 'Exceed payload limit' });
      expect(
        (await post(r, '/v1/identify', identify('u', { traits: { pad: 'x'.repeat(32_000) } }))).status,
      ).toBe(200);
    });

    it('inflates gzip bodies and applies the limits to the inflated JSON', async () => {
      const small = gzipSync(JSON.stringify({ batch: [identify('gz')] }));
      const ok = await post(r, '/v1/batch', undefined, {
        raw: small,
        headers: { 'content-encoding': 'gzip' },
      });
      expect(ok.status).toBe(200);
      expect(r.messages()[0]?.userId).toBe('gz');
      const bomb = gzipSync(
        JSON.stringify({ batch: [identify('u', { traits: { pad: ' '.repeat(600_000) } })] }),
      );
      const refused = await post(r, '/v1/batch', undefined, {
        raw: bomb,
        headers: { 'content-encoding': 'gzip' },
      });
      expect(refused.json.code).toBe('payload_too_large');
      const br = await post(r, '/v1/batch', undefined, { raw: small, headers: { 'content-encoding': 'br' } });
      expect(br.json.code).toBe('unsupported_content_encoding');
    });
  });

  it('answers 200 and drops all 2,501 messages of an oversized batch, but takes 2,500', async () => {
    const batch = (n: number, tag: string) => Array.from({ length: n }, (_, i) => identify(`${tag}${i}`));
    const over = await post(r, '/v1/batch', { batch: batch(2_501, 'a') });
    expect(over.status).toBe(200);
    expect(r.stats()).toMatchObject({
      accepted: 0,
      discarded: 2_501,
      discardsByReason: { too_many_events: 2_501 },
    });
    const atLimit = await post(r, '/v1/batch', { batch: batch(2_500, 'b') });
    expect(atLimit.status).toBe(200);
    expect(r.stats().accepted).toBe(2_500);
  });
});
