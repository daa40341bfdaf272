import { describe, expect, it } from 'vitest';
import { figuresText, openBySync, targetHealth } from './alerts';

describe("the alerts page's reading", () => {
  it('shows fractions of percentage rules as percents, runtimes as durations, counts as counts', () => {
    expect(figuresText('failed_rows', { failed: 1200, planned: 1200, ratio: 1, over: 0.05 })).toEqual([
      'failed 1,200',
      'planned 1,200',
      'ratio 100%',
      'over 5%',
    ]);
    expect(figuresText('invalid_rows', { ratio: 0.125 })).toEqual(['ratio 12.5%']);
    expect(figuresText('runtime', { duration_ms: 1_860_000, over: 1_800_000 })).toEqual([
      'duration_ms 31 min 0 s',
      'over 30 min 0 s',
    ]);
    expect(figuresText('zero_rows', { extracted: 0, mean: 12.3456 })).toEqual(['extracted 0', 'mean 12.346']);
    expect(figuresText('run_failed', null)).toEqual([]);
  });

  it('calls a target failing while its newest attempt failed, even with nothing pending', () => {
    const failure = { at: '2026-12-06T20:00:00Z', status: null, error: 'ECONNREFUSED' };
    expect(targetHealth({ type: 'webhook', pending: 0, last_failure: failure })).toBe('failing');
    expect(targetHealth({ type: 'webhook', pending: 2, last_failure: null })).toBe('waiting');
    expect(targetHealth({ type: 'slack', pending: 0, last_failure: null })).toBe('ok');
    expect(targetHealth({ type: null, pending: 0, last_failure: null })).toBe('gone');
  });

  it('counts open alerts per sync, resolved ones not', () => {
    const counts = openBySync([
      { sync: 'a', state: 'raised' },
      { sync: 'a', state: 'raised' },
      { sync: 'b', state: 'resolved' },
      { sync: 'c', state: 'raised' },
    ]);
    expect([...counts]).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
  });
});
