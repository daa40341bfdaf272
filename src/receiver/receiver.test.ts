import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS, type Receiver, startReceiver } from './receiver.js';

const KEY = 'test-write-key';
const basic = (credential: string) => `Basic ${Buffer.from(credential).toString('base64')}`;

interface PostOptions {
  headers?: Record<string, string>;
  /** Raw body instead of JSON.stringify(body). */
  raw?: string | Buffer;
}

async function post(r: Receiver, path: string, body: unknown, options: PostOptions = {}) {
  const res = await request(`${r.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(`${KEY}:`), ...options.headers },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> };
}

const identify = (userId: string, extra: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId,
  ...extra,
});

describe('receiver over HTTP', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r.close());
  beforeEach(() => r.reset());

  it('listens on a random loopback port and answers health, stats and 404', async () => {
    expect(r.url).toBe(`http://127.0.0.1:${r.port}`);
    const health = await request(`${r.url}/health`);
    expect(health.statusCode).toBe(200);
    await health.body.text();
    const missing = await request(`${r.url}/v2/batch`);
    expect(missing.statusCode).toBe(404);
    await missing.body.text();
    const wrongMethod = await request(`${r.url}/v1/batch`);
    expect(wrongMethod.statusCode).toBe(405);
    await wrongMethod.body.text();
  });

  it('accepts a batch with {"success":true}, on /v1/batch and the /v1/import alias', async () => {
    const a = await post(r, '/v1/batch', { batch: [identify('u1'), identify('u2')] });
    const b = await post(r, '/v1/import', { batch: [identify('u3')] });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json).toEqual({ success: true });
    expect(r.messages().map((m) => m.userId)).toEqual(['u1', 'u2', 'u3']);
    expect(r.stats()).toMatchObject({ requests: 2, batches: 2, accepted: 3, discarded: 0 });
  });

  it('accepts each single call, taking the type from the endpoint', async () => {
    for (const type of ['identify', 'track', 'group', 'page', 'screen', 'alias']) {
      const body = { userId: 'u', previousId: 'p', event: 'Clicked', groupId: 'g', type: 'bogus' };
      expect((await post(r, `/v1/${type}`, body)).status).toBe(200);
    }
    expect(r.messages().map((m) => m.type)).toEqual([
      'identify',
      'track',
      'group',
      'page',
      'screen',
      'alias',
    ]);
    expect(r.stats()).toMatchObject({ requests: 6, batches: 0, accepted: 6 });
  });

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

  it('drops every message of an unknown key with 200 when keys are known', async () => {
    const strict = await startReceiver({ writeKeys: ['known'] });
    try {
      const unknown = await post(strict, '/v1/batch', { batch: [identify('a'), identify('b')] });
      expect(unknown.status).toBe(200);
      expect(strict.discards().map((d) => d.reason)).toEqual(['unknown_write_key', 'unknown_write_key']);
      const known = await post(
        strict,
        '/v1/batch',
        { batch: [identify('c')] },
        { headers: { authorization: basic('known:') } },
      );
      expect(known.status).toBe(200);
      expect(strict.stats()).toMatchObject({
        accepted: 1,
        discarded: 2,
        discardsByReason: { unknown_write_key: 2 },
      });
    } finally {
      await strict.close();
    }
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

    it('refuses a whole batch when one message is over 32,768 bytes, and allows exactly 32,768', async () => {
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

    it('refuses a single call whose body is over 32,768 bytes', async () => {
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

  it('stamps messages: messageId, receivedAt, originalTimestamp and the skew-corrected timestamp', async () => {
    const sentAt = new Date(Date.now() - 60_000).toISOString();
    const timestamp = '2020-05-01T12:00:00.250+02:00';
    await post(r, '/v1/batch', {
      sentAt,
      batch: [identify('with-ts', { timestamp, messageId: 'm-ts' }), identify('no-ts')],
    });
    const [withTs, noTs] = r.messages();
    expect(withTs).toMatchObject({ messageId: 'm-ts', originalTimestamp: timestamp, sentAt });
    // §3.1: timestamp = receivedAt − (sentAt − originalTimestamp).
    const receivedAt = Date.parse(String(withTs?.receivedAt));
    expect(Math.abs(receivedAt - Date.now())).toBeLessThan(10_000);
    expect(withTs?.timestamp).toBe(
      new Date(receivedAt - (Date.parse(sentAt) - Date.parse(timestamp))).toISOString(),
    );
    expect(String(noTs?.messageId)).toMatch(/^rcv-/);
    expect(noTs?.timestamp).toBe(noTs?.receivedAt);
    expect(noTs).not.toHaveProperty('originalTimestamp');
    expect(r.byMessageId('m-ts')).toBe(withTs);
    expect(r.byMessageId(String(noTs?.messageId))).toBe(noTs);
  });

  it('merges batch-level context and integrations into each item, item fields winning', async () => {
    await post(r, '/v1/batch', {
      context: { library: { name: 'sluice', version: '1' }, locale: 'de' },
      integrations: { All: true, Salesforce: false },
      batch: [
        identify('a', { context: { locale: 'fr' } }),
        identify('b', { integrations: { Salesforce: true } }),
      ],
    });
    const [a, b] = r.messages();
    expect(a?.context).toEqual({ library: { name: 'sluice', version: '1' }, locale: 'fr' });
    expect(a?.integrations).toEqual({ All: true, Salesforce: false });
    expect(b?.context).toEqual({ library: { name: 'sluice', version: '1' }, locale: 'de' });
    expect(b?.integrations).toEqual({ All: true, Salesforce: true });
  });

  it('dedups globally by messageId: a copy in the same or a later request, from any key, is dropped', async () => {
    await post(r, '/v1/batch', {
      batch: [identify('a', { messageId: 'dup' }), identify('b', { messageId: 'dup' })],
    });
    const again = await post(
      r,
      '/v1/track',
      { userId: 'c', event: 'E', messageId: 'dup' },
      {
        headers: { authorization: basic('another-source:') },
      },
    );
    expect(again.status).toBe(200);
    expect(r.messages().map((m) => m.userId)).toEqual(['a']);
    expect(r.stats()).toMatchObject({ accepted: 1, duplicates: 2, discarded: 0 });
  });

  it('forgets a messageId after the dedup window', async () => {
    const short = await startReceiver({ dedupWindowMs: 50 });
    try {
      await post(short, '/v1/batch', { batch: [identify('a', { messageId: 'x' })] });
      await new Promise((resolve) => setTimeout(resolve, 80));
      await post(short, '/v1/batch', { batch: [identify('b', { messageId: 'x' })] });
      expect(short.stats()).toMatchObject({ accepted: 2, duplicates: 0 });
    } finally {
      await short.close();
    }
  });

  it('survives a client that disconnects mid-body, storing nothing from it', async () => {
    const socket = connect(r.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"batch":[',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await post(r, '/v1/batch', { batch: [identify('after')] })).status).toBe(200);
    expect(r.messages().map((m) => m.userId)).toEqual(['after']);
    expect(r.stats()).toMatchObject({ requests: 2, accepted: 1, rejectedRequests: 0 });
  });

  it('serves stats and recent messages over HTTP, and reset forgets everything', async () => {
    await post(r, '/v1/batch', {
      batch: [identify('a', { messageId: 'k1' }), identify('b'), { type: 'nope' }],
    });
    const stats = await request(`${r.url}/stats`);
    expect(await stats.body.json()).toEqual(r.stats());
    const recent = await request(`${r.url}/v1/messages?limit=1`);
    expect(
      ((await recent.body.json()) as { messages: { userId: string }[] }).messages.map((m) => m.userId),
    ).toEqual(['b']);
    r.reset();
    expect(r.messages()).toEqual([]);
    expect(r.discards()).toEqual([]);
    expect(r.byMessageId('k1')).toBeUndefined();
    expect(r.stats()).toMatchObject({ requests: 0, accepted: 0, discarded: 0, discardsByReason: {} });
    await post(r, '/v1/batch', { batch: [identify('a', { messageId: 'k1' })] });
    expect(r.stats()).toMatchObject({ accepted: 1, duplicates: 0 });
  });
});

describe('receiver options', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-receiver-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('appends accepted messages to the JSONL out file, one stored message per line', async () => {
    const outFile = join(dir, 'out.jsonl');
    const first = await startReceiver({ outFile });
    await post(first, '/v1/batch', { batch: [identify('a', { messageId: 'm1' }), { type: 'bad' }] });
    await post(first, '/v1/track', { userId: 'b', event: 'E', messageId: 'm2' });
    await first.close();
    // A second receiver appends instead of truncating.
    const second = await startReceiver({ outFile });
    await post(second, '/v1/batch', { batch: [identify('c', { messageId: 'm3' })] });
    await second.close();
    const lines = (await readFile(outFile, 'utf8')).trimEnd().split('\n');
    const stored = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(stored.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(stored[0]).toHaveProperty('receivedAt');
    expect(stored[1]).toMatchObject({ type: 'track', event: 'E' });
    expect(stored.some((m) => 'writeKey' in m)).toBe(false);
  });

  it('refuses to start when the out file cannot be opened', async () => {
    await expect(startReceiver({ outFile: join(dir, 'missing-dir', 'out.jsonl') })).rejects.toThrow();
  });

  it('keeps nothing in memory with keepMessages: false but still counts and dedups', async () => {
    const lean = await startReceiver({ keepMessages: false });
    try {
      await post(lean, '/v1/batch', {
        batch: [identify('a', { messageId: 'x' }), identify('b', { messageId: 'x' })],
      });
      await post(lean, '/v1/batch', { batch: [{ type: 'identify' }] });
      expect(lean.messages()).toEqual([]);
      expect(lean.discards()).toEqual([]);
      expect(lean.byMessageId('x')).toBeUndefined();
      expect(lean.stats()).toMatchObject({ accepted: 1, duplicates: 1, discarded: 1 });
      const recent = await request(`${lean.url}/v1/messages`);
      expect(recent.statusCode).toBe(404);
      await recent.body.text();
    } finally {
      await lean.close();
    }
  });
});
