import { describe, expect, it } from 'vitest';
import { normaliseTimestamp } from './normalise-timestamp.js';

describe('normaliseTimestamp', () => {
  it.each([
    ['2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.6789123Z', '2024-01-02T03:04:05.678Z'], // truncated, not rounded
    ['2024-01-02T03:04:05.6Z', '2024-01-02T03:04:05.600Z'],
    ['2024-01-02T03:04:05,5z', '2024-01-02T03:04:05.500Z'],
    ['2024-01-02T03:04Z', '2024-01-02T03:04:00.000Z'],
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'], // no zone: UTC
    ['2024-01-02T03:04:05.123', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['2024-01-02T03:04:05+02:00', '2024-01-02T01:04:05.000Z'],
    ['2024-01-02T03:04:05+0530', '2024-01-01T21:34:05.000Z'],
    ['2024-01-02T03:04:05-08', '2024-01-02T11:04:05.000Z'],
    ['2024-01-02 03:04:05.250 -05:00', '2024-01-02T08:04:05.250Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'], // years below 100 stay literal
    [' 2024-01-02T03:04:05Z ', '2024-01-02T03:04:05.000Z'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseTimestamp(input)).toBe(expected);
  });

  it.each([
    '2023-02-29T00:00:00.000Z', // not a leap year (canonical fast path)
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-10',
    '2024-01-02T24:00:00Z',
    '2024-01-02T23:60:00Z',
    '2024-01-02T23:59:60Z',
    '2024-01-02T03:04:05+24:00',
    '2024-01-02T03:04:05+02:75',
    '01/02/2024',
    'March 7, 2024',
    'yesterday',
    '2024-1-2',
    '',
    '2024-01-02T03:04:05ZZ',
  ])('refuses %j', (input) => {
    expect(normaliseTimestamp(input)).toBeNull();
  });

  it('refuses numbers (epochs are ambiguous) and other types, accepts valid Dates', () => {
    expect(normaliseTimestamp(1_704_164_645_000)).toBeNull();
    expect(normaliseTimestamp(true)).toBeNull();
    expect(normaliseTimestamp({})).toBeNull();
    expect(normaliseTimestamp(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02T03:04:05.678Z');
    expect(normaliseTimestamp(new Date(Number.NaN))).toBeNull();
  });
});
