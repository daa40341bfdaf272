import { describe, expect, it } from 'vitest';
import { classifyResponse, MAX_RETRY_AFTER_MS, retryAfterMs } from './classify-response.js';

const NOW = Date.parse('2025-01-01T00:00:00.000Z');

describe('classifyResponse', () => {
  it.each([
    [200, 'sent'],
    [201, 'sent'],
    [204, 'sent'],
    [299, 'sent'],
    [301, 'fatal'],
    [302, 'fatal'],
    [307, 'fatal'],
    [308, 'fatal'],
    [400, 'reject'],
    [401, 'fatal'],
    [402, 'reject'],
    [403, 'fatal'],
    [404, 'fatal'],
    [405, 'fatal'],
    [408, 'retry'],
    [409, 'reject'],
    [410, 'retry'],
    [413, 'reject'],
    [415, 'reject'],
    [422, 'reject'],
    [429, 'retry'],
    [460, 'retry'],
    [499, 'reject'],
    [500, 'retry'],
    [501, 'fatal'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [505, 'fatal'],
    [507, 'retry'],
    [511, 'fatal'],
    [599, 'retry'],
    [100, 'fatal'],
    [600, 'fatal'],
  ])('HTTP %i → %s', (status, kind) => {
    expect(classifyResponse(status, {}, NOW).kind).toBe(kind);
  });

  it('explains fatal answers with the status and what to check', () => {
    for (const status of [401, 403, 404]) {
      const verdict = classifyResponse(status, {}, NOW);
      expect(verdict.kind === 'fatal' && verdict.message).toMatch(
        new RegExp(`HTTP ${status}.*write_key.*endpoint`),
      );
    }
    const redirect = classifyResponse(301, { location: 'https://api.segment.io/v1/batch' }, NOW);
    expect(redirect.kind === 'fatal' && redirect.message).toContain('to https://api.segment.io/v1/batch');
  });

  it('honours Retry-After on 429 and other retried statuses', () => {
    expect(classifyResponse(429, { 'retry-after': '7' }, NOW)).toEqual({ kind: 'retry', afterMs: 7000 });
    expect(classifyResponse(503, { 'Retry-After': '2' }, NOW)).toEqual({ kind: 'retry', afterMs: 2000 });
    expect(classifyResponse(429, {}, NOW)).toEqual({ kind: 'retry' });
    // Not on answers that are not retried.
    expect(classifyResponse(400, { 'retry-after': '7' }, NOW)).toEqual({ kind: 'reject' });
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['7', 7000],
    [' 12 ', 12_000],
    ['0', 1000], // floored at 1 s
    ['301', MAX_RETRY_AFTER_MS], // capped at 300 s
    ['99999', MAX_RETRY_AFTER_MS],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000], // HTTP-date, 30 s after NOW
    ['Tue, 31 Dec 2024 23:00:00 GMT', 1000], // in the past: floored
    ['Thu, 02 Jan 2025 00:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
  ])('%j → %s', (value, expected) => {
    expect(retryAfterMs({ 'retry-after': value }, NOW)).toBe(expected);
  });

  it('reads the first of repeated headers and ignores a missing one', () => {
    expect(retryAfterMs({ 'retry-after': ['3', '9'] }, NOW)).toBe(3000);
    expect(retryAfterMs({ 'x-ratelimit-reset': '3' }, NOW)).toBeUndefined();
  });
});
