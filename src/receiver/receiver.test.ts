import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './receiver.js';
import { basic, identify, post } from './receiver-client.case.js';

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

  it('refuses to start on a port already in use', async () => {
    const first = await startReceiver();
    try {
      await expect(startReceiver({ port: first.port, outFile: join(dir, 'unused.jsonl') })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
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
