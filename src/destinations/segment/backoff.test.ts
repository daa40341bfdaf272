import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, sleep } from './backoff.js';

describe('backoffDelay', () => {
  it('follows analytics-core: (1 + random) · 500 · 2^retry, capped at 60 s', () => {
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0)).toBe(1000);
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0.999)).toBe(1999);
    expect(backoffDelay(2, DEFAULT_RETRY, () => 0.5)).toBe(3000);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0)).toBe(4000);
    expect(backoffDelay(7, DEFAULT_RETRY, () => 0)).toBe(60_000);
    expect(backoffDelay(20, DEFAULT_RETRY, () => 0.9)).toBe(60_000);
    expect(backoffDelay(2, { minDelayMs: 1, maxDelayMs: 5 }, () => 0.5)).toBe(5);
  });

  it('defaults to 10 attempts', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 10, minDelayMs: 500, maxDelayMs: 60_000 });
  });
});

describe('sleep', () => {
  it('waits, and stops early when aborted', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(sleep(1, controller.signal)).rejects.toThrow('stop');
  });
});
