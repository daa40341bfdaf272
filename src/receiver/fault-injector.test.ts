import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultInjector } from './fault-injector.js';
import { type Receiver, startReceiver } from './receiver.js';

let counter = 0;

/** Posts a one-message batch; resolves to the status, or 'dropped' when the socket was cut. */
async function send(r: Receiver): Promise<{ status: number | 'dropped'; headers: Record<string, unknown> }> {
  counter++;
  try {
    const res = await request(`${r.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ writeKey: 'k', batch: [{ type: 'identify', userId: `u${counter}` }] }),
    });
    await res.body.text();
    return { status: res.statusCode, headers: res.headers };
  } catch {
    return { status: 'dropped', headers: {} };
  }
}

describe('FaultInjector', () => {
  it('is reproducible from its seed and splits one draw into fail, rate limit and drop slices', () => {
    const settings = { failRate: 0.2, rateLimitRate: 0.3, dropRate: 0.1, seed: 42 };
    const a = new FaultInjector(settings);
    const b = new FaultInjector(settings);
    const seqA = Array.from({ length: 2_000 }, () => a.decide());
    expect(Array.from({ length: 2_000 }, () => b.decide())).toEqual(seqA);
    const share = (d: string) => seqA.filter((x) => x === d).length / seqA.length;
    expect(share('fail')).toBeGreaterThan(0.15);
    expect(share('fail')).toBeLessThan(0.25);
    expect(share('rate_limit')).toBeGreaterThan(0.25);
    expect(share('rate_limit')).toBeLessThan(0.35);
    expect(share('drop')).toBeGreaterThan(0.06);
    expect(share('drop')).toBeLessThan(0.14);
    const other = new FaultInjector({ ...settings, seed: 43 });
    expect(Array.from({ length: 2_000 }, () => other.decide())).not.toEqual(seqA);
  });

  it('never faults with rates of 0 and always with a rate of 1', () => {
    const none = new FaultInjector({});
    expect(new Set(Array.from({ length: 100 }, () => none.decide()))).toEqual(new Set(['none']));
    const all = new FaultInjector({ rateLimitRate: 1 });
    expect(new Set(Array.from({ length: 100 }, () => all.decide()))).toEqual(new Set(['rate_limit']));
  });
});

describe('fault injection over HTTP', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r.close());
  beforeEach(() => {
    r.setFaults({});
    r.reset();
  });

  it('failRate answers failStatus (default 500) without storing anything', async () => {
    r.setFaults({ failRate: 1 });
    expect((await send(r)).status).toBe(500);
    r.setFaults({ failRate: 1, failStatus: 503 });
    expect((await send(r)).status).toBe(503);
    expect(r.stats()).toMatchObject({ requests: 2, accepted: 0, batches: 0, faults: { failed: 2 } });
  });

  it('rateLimitRate answers 429 with Retry-After and X-RateLimit-Reset in seconds, without storing', async () => {
    r.setFaults({ rateLimitRate: 1 });
    const first = await send(r);
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.headers['x-ratelimit-reset']).toBe('1');
    r.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    expect((await send(r)).headers['retry-after']).toBe('7');
    expect(r.stats()).toMatchObject({ accepted: 0, faults: { rateLimited: 2 } });
  });

  it('dropRate stores the messages and then cuts the connection without an answer', async () => {
    r.setFaults({ dropRate: 1 });
    expect((await send(r)).status).toBe('dropped');
    expect(r.messages()).toHaveLength(1);
    expect(r.stats()).toMatchObject({ accepted: 1, batches: 1, faults: { dropped: 1 } });
    // The connection pool recovers: the next request gets an answer.
    r.setFaults({});
    expect((await send(r)).status).toBe(200);
  });

  it('latencyMs delays each answer', async () => {
    r.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await send(r)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('gives the same fault sequence for the same seed, after setFaults or reset', async () => {
    const sequence = async () => {
      const out: (number | 'dropped')[] = [];
      for (let i = 0; i < 12; i++) out.push((await send(r)).status);
      return out;
    };
    r.setFaults({ failRate: 0.3, rateLimitRate: 0.3, dropRate: 0.2, seed: 7 });
    const first = await sequence();
    expect(new Set(first).size).toBeGreaterThan(2);
    r.reset();
    expect(await sequence()).toEqual(first);
    r.setFaults({ failRate: 0.3, rateLimitRate: 0.3, dropRate: 0.2, seed: 7 });
    expect(await sequence()).toEqual(first);
  });

  it('takes faults from the start options', async () => {
    const faulty = await startReceiver({ faults: { failRate: 1, failStatus: 502 } });
    try {
      expect((await send(faulty)).status).toBe(502);
    } finally {
      await faulty.close();
    }
  });
});
