import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError, type SluiceError } from '../../core/errors.js';
import { Secret } from '../../core/workspace.js';
import { type Receiver, startReceiver } from '../../receiver/receiver.js';
import type { EncodedMessage } from '../destination.js';
import type { RetryOptions } from './backoff.js';
import { createSegmentDestination, type SegmentDestination } from './segment-destination.js';

const KEY = 'wk_live_Sup3rSecretKey';
const BASIC = Buffer.from(`${KEY}:`).toString('base64');
const FAST: Partial<RetryOptions> = { maxAttempts: 4, minDelayMs: 1, maxDelayMs: 10 };
const PLANNED = '2025-06-01T12:00:00.000Z';

/** Every error text the tests saw: none may hold the key (checked at the end). */
const seenErrors: string[] = [];
const opened: SegmentDestination[] = [];

function destinationAt(
  endpoint: string,
  retry: Partial<RetryOptions> = FAST,
  timeoutMs = 5000,
): SegmentDestination {
  const d = createSegmentDestination(
    { type: 'segment', writeKey: new Secret(KEY), region: 'us', endpoint, concurrency: 2, timeoutMs },
    { version: '1.2.3', retry },
  );
  opened.push(d);
  return d;
}

function messages(d: SegmentDestination, count: number, prefix = 'm'): EncodedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const p = d.prepare('event', { userId: `u${i}`, event: 'Tested', properties: { i } });
    if (!p.ok) throw new Error(p.message);
    return d.encode(p, `k${i}`, `${prefix}-${i}`, PLANNED);
  });
}

/** A message over Segment's 32 KB limit, built by hand since prepare refuses it. */
function oversized(messageId: string): EncodedMessage {
  const json = `{"type":"track","userId":"u","event":"Big","properties":{"b":"${'y'.repeat(33_000)}"},"messageId":"${messageId}"}`;
  return { key: messageId, messageId, json, bytes: Buffer.byteLength(json) };
}

async function fatalOf(promise: Promise<unknown>): Promise<SluiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSluiceError(error)) throw new Error(`expected a SluiceError, got ${String(error)}`);
  seenErrors.push(error.message, JSON.stringify(error.details));
  return error;
}

interface Seen {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A bare HTTP server answering from a script: for statuses the receiver cannot produce. */
async function scriptedServer(
  answer: (seen: Seen, n: number) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: req.url ?? '',
      };
      seen.push(entry);
      const a = answer(entry, seen.length);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, writeKeys: [KEY] });
});

afterEach(() => {
  receiver.setFaults({ seed: 1 });
  receiver.reset();
});

afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await receiver.close();
  // The write key never shows in any error, outcome or answer the tests collected.
  expect(seenErrors.length).toBeGreaterThan(5);
  for (const text of seenErrors) {
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(BASIC);
  }
});

describe('SegmentDestination.send against the local receiver', () => {
  it('delivers identify, group and track with the right key, library and messageIds', async () => {
    const d = destinationAt(receiver.url);
    const user = d.prepare('user', { userId: '42', traits: { email: 'zoë@example.com' } });
    const group = d.prepare('group', { userId: '42', groupId: 'acme', traits: {} });
    const event = d.prepare('event', { userId: '42', event: 'Signed Up', timestamp: '2024-01-02T03:04:05Z' });
    if (!user.ok || !group.ok || !event.ok) throw new Error('fixture refused');
    const batch = [
      d.encode(user, 'u', 'id-user', PLANNED),
      d.encode(group, 'g', 'id-group', PLANNED),
      d.encode(event, 'e', 'id-event', PLANNED),
    ];
    expect(await d.send(batch)).toEqual([
      { status: 'succeeded' },
      { status: 'succeeded' },
      { status: 'succeeded' },
    ]);
    expect(receiver.discards()).toEqual([]); // a wrong key would show as unknown_write_key discards
    const stored = receiver.byMessageId('id-user')!;
    expect(stored).toMatchObject({
      type: 'identify',
      userId: '42',
      traits: { email: 'zoë@example.com' },
      context: { library: { name: 'sluice', version: '1.2.3' } },
      originalTimestamp: PLANNED,
    });
    expect(receiver.byMessageId('id-group')).toMatchObject({ type: 'group', groupId: 'acme' });
    expect(receiver.byMessageId('id-event')).toMatchObject({
      type: 'track',
      originalTimestamp: '2024-01-02T03:04:05.000Z',
    });
  });

  it('retries 5xx answers and delivers every message exactly once', async () => {
    receiver.setFaults({ failRate: 0.5, seed: 7 });
    const d = destinationAt(receiver.url, { maxAttempts: 20, minDelayMs: 1, maxDelayMs: 5 });
    const batches = Array.from({ length: 8 }, (_, b) => messages(d, 5, `b${b}`));
    const outcomes = await Promise.all(batches.map((batch) => d.send(batch)));
    expect(outcomes.flat().every((o) => o.status === 'succeeded')).toBe(true);
    expect(receiver.stats().faults.failed).toBeGreaterThan(0);
    expect(receiver.messages()).toHaveLength(40);
  });

  it('retries a lost answer with the same messageIds, so the receiver drops the copy', async () => {
    receiver.setFaults({ dropRate: 0.5, seed: 3 });
    const d = destinationAt(receiver.url, { maxAttempts: 20, minDelayMs: 1, maxDelayMs: 5 });
    for (let b = 0; b < 6; b++) {
      expect((await d.send(messages(d, 4, `drop${b}`))).every((o) => o.status === 'succeeded')).toBe(true);
    }
    const stats = receiver.stats();
    expect(stats.faults.dropped).toBeGreaterThan(0);
    expect(stats.duplicates).toBe(stats.faults.dropped * 4);
    expect(receiver.messages()).toHaveLength(24);
  });

  it('honours Retry-After on 429, without spending the retry budget on it', async () => {
    receiver.setFaults({ rateLimitRate: 1, retryAfterSeconds: 1 });
    const d = destinationAt(receiver.url, { maxAttempts: 1, minDelayMs: 1, maxDelayMs: 5 });
    const started = Date.now();
    const sending = d.send(messages(d, 3, 'rl'));
    while (receiver.stats().requests === 0) await new Promise((r) => setTimeout(r, 5));
    receiver.setFaults({});
    expect((await sending).every((o) => o.status === 'succeeded')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(receiver.stats()).toMatchObject({ requests: 2, faults: { rateLimited: 1 } });
    expect(receiver.messages()).toHaveLength(3);
  });

  it('marks every message failed with retries_exhausted when the budget is spent', async () => {
    receiver.setFaults({ failRate: 1, failStatus: 503 });
    const d = destinationAt(receiver.url, { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 5 });
    const outcomes = await d.send(messages(d, 3, 'ex'));
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      expect(o).toMatchObject({ status: 'failed', reason: 'retries_exhausted' });
      if (o.status === 'failed') {
        expect(o.error).toMatch(/^HTTP 503: .*injected_failure.*\(after 3 attempts\)$/);
        seenErrors.push(o.error);
      }
    }
    expect(receiver.stats().requests).toBe(3);
  });

  it('isolates an oversized message by splitting the rejected batch; the rest is delivered in the same call', async () => {
    const d = destinationAt(receiver.url);
    const batch = messages(d, 7, 'split');
    batch.splice(4, 0, oversized('too-big'));
    const outcomes = await d.send(batch);
    expect(outcomes.map((o) => o.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    const failed = outcomes[4]!;
    expect(failed).toMatchObject({ status: 'failed', reason: 'rejected_by_destination' });
    if (failed.status === 'failed') {
      expect(failed.error).toMatch(/^HTTP 400: .*Exceed payload limit/);
      seenErrors.push(failed.error);
    }
    expect(
      receiver
        .messages()
        .map((m) => m.messageId)
        .sort(),
    ).toEqual(
      batch
        .filter((m) => m.messageId !== 'too-big')
        .map((m) => m.messageId)
        .sort(),
    );
  });

  it('times out a slow answer and retries it', async () => {
    receiver.setFaults({ latencyMs: 400 });
    const d = destinationAt(receiver.url, { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 5 }, 100);
    const [outcome] = await d.send(messages(d, 1, 'slow'));
    expect(outcome).toMatchObject({ status: 'failed', reason: 'retries_exhausted' });
    if (outcome?.status === 'failed') {
      expect(outcome.error).toBe('no answer within 100 ms (timeout_ms) (after 2 attempts)');
      seenErrors.push(outcome.error);
    }
  });

  it('stops with SluiceError("interrupted") when the signal aborts during a backoff', async () => {
    receiver.setFaults({ failRate: 1 });
    const d = destinationAt(receiver.url, { maxAttempts: 5, minDelayMs: 10_000, maxDelayMs: 60_000 });
    const controller = new AbortController();
    const sending = d.send(messages(d, 1, 'abort'), { signal: controller.signal });
    while (receiver.stats().requests === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await fatalOf(sending)).code).toBe('interrupted');
  });
});

describe('SegmentDestination.send: answers that end the run', () => {
  it.each([401, 403, 404])(
    'HTTP %i is destination_fatal, with the status and a hint, never the key',
    async (status) => {
      const server = await scriptedServer(() => ({ status, body: `{"message":"bad auth ${BASIC}"}` }));
      try {
        const d = destinationAt(server.url);
        const error = await fatalOf(d.send(messages(d, 2)));
        expect(error.code).toBe('destination_fatal');
        expect(error.message).toContain(`HTTP ${status}`);
        expect(error.message).toMatch(/write_key.*endpoint/);
        expect(server.seen).toHaveLength(1); // not retried
      } finally {
        await server.close();
      }
    },
  );

  it('a wrong path on the receiver (404) is fatal too', async () => {
    const d = destinationAt(`${receiver.url}/not-segment`);
    const error = await fatalOf(d.send(messages(d, 1)));
    expect(error.code).toBe('destination_fatal');
    expect(error.message).toContain('HTTP 404');
  });

  it('a refused connection is destination_fatal after the retries', async () => {
    const closed = await scriptedServer(() => ({ status: 200 }));
    await closed.close();
    const d = destinationAt(closed.url, { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 5 });
    const error = await fatalOf(d.send(messages(d, 1)));
    expect(error.code).toBe('destination_fatal');
    expect(error.message).toMatch(/cannot reach .*ECONNREFUSED.*after 2 attempts.*endpoint/);
  });

  it('a refused connection ends after 3 attempts even with a larger budget, not after all of them', async () => {
    const closed = await scriptedServer(() => ({ status: 200 }));
    await closed.close();
    const d = destinationAt(closed.url, { maxAttempts: 10, minDelayMs: 1, maxDelayMs: 5 });
    const error = await fatalOf(d.send(messages(d, 1)));
    expect(error.code).toBe('destination_fatal');
    expect(error.message).toMatch(/after 3 attempts/);
  });
});

describe('SegmentDestination on the wire', () => {
  it('sends Basic auth, JSON, User-Agent and X-Retry-Count on retries; the body holds the same messages and no key', async () => {
    const server = await scriptedServer((_seen, n) =>
      n === 1 ? { status: 500, body: `{"echo":"${KEY}"}` } : { status: 200, body: '{"success":true}' },
    );
    try {
      const d = destinationAt(server.url);
      const batch = messages(d, 3);
      expect((await d.send(batch)).every((o) => o.status === 'succeeded')).toBe(true);
      expect(server.seen).toHaveLength(2);
      const [first, second] = server.seen as [Seen, Seen];
      expect(first.url).toBe('/v1/batch');
      expect(first.headers.authorization).toBe(`Basic ${BASIC}`);
      expect(first.headers['content-type']).toBe('application/json');
      expect(first.headers['user-agent']).toBe('sluice/1.2.3');
      expect(first.headers['x-retry-count']).toBeUndefined();
      expect(second.headers['x-retry-count']).toBe('1');
      for (const { body } of server.seen) {
        expect(body).not.toContain(KEY);
        const parsed = JSON.parse(body);
        expect(Object.keys(parsed)).toEqual(['batch', 'sentAt']);
        expect(parsed.batch.map((m: { messageId: string }) => m.messageId)).toEqual(['m-0', 'm-1', 'm-2']);
        expect(Date.parse(parsed.sentAt)).toBeGreaterThan(Date.parse(PLANNED));
      }
      expect(first.body.slice(0, first.body.lastIndexOf('"sentAt"'))).toBe(
        `{"batch":[${batch.map((m) => m.json).join(',')}],`,
      );
    } finally {
      await server.close();
    }
  });

  it('keeps a path prefix in the endpoint', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    try {
      const d = destinationAt(`${server.url}/proxy/segment`);
      await d.send(messages(d, 1));
      expect(server.seen[0]!.url).toBe('/proxy/segment/v1/batch');
    } finally {
      await server.close();
    }
  });

  // Found by test/secrets.test.ts: the answer was clipped to 500 characters before the key was
  // redacted, so a key quoted across the clip kept its first 15 characters in the record.
  it('redacts a key quoted in an answer before clipping the answer', async () => {
    const server = await scriptedServer(() => ({
      status: 400,
      body: `{"pad":"${'x'.repeat(471)}","key":"${KEY}"}`,
    }));
    try {
      const [outcome] = await destinationAt(server.url).send(messages(destinationAt(server.url), 1, 'clip'));
      expect(outcome).toMatchObject({ status: 'failed', reason: 'rejected_by_destination' });
      const error = outcome?.status === 'failed' ? outcome.error : '';
      expect(error).toContain('"key":"[secret]"');
      expect(error).not.toContain(KEY.slice(0, 12));
      seenErrors.push(error);
    } finally {
      await server.close();
    }
  });
});

describe('SegmentDestination.check', () => {
  it('sends an empty batch, delivers nothing, and says what a 200 does not prove', async () => {
    const d = destinationAt(receiver.url);
    const result = await d.check();
    expect(result.ok).toBe(true);
    expect(receiver.messages()).toEqual([]);
    const text = result.notes.join('\n');
    expect(text).toContain(`POST ${receiver.url}/v1/batch with an empty batch`);
    expect(text).toContain('HTTP 200');
    expect(text).toContain('any write key');
    expect(text).toContain('…tKey'); // the fingerprint, not the key
    seenErrors.push(text);
  });

  it('reports an unreachable endpoint and a refusing one without throwing', async () => {
    const closed = await scriptedServer(() => ({ status: 200 }));
    await closed.close();
    const down = await destinationAt(closed.url).check();
    expect(down.ok).toBe(false);
    expect(down.notes[0]).toMatch(/cannot reach .*ECONNREFUSED/);
    const wrongPath = await destinationAt(`${receiver.url}/nope`).check();
    expect(wrongPath.ok).toBe(false);
    expect(wrongPath.notes.join('\n')).toMatch(/HTTP 404.*\n.*write_key/);
    seenErrors.push(...down.notes, ...wrongPath.notes);
  });
});
