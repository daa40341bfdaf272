import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp } from './parse-iso-timestamp.js';

describe('parseIsoTimestamp', () => {
  it.each([
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05.678Z', Date.UTC(2024, 0, 2, 3, 4, 5, 678)],
    ['2024-01-02T03:04:05.6Z', Date.UTC(2024, 0, 2, 3, 4, 5, 600)],
    ['2024-01-02T03:04:05.123456789Z', Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ['2024-01-02t03:04:05z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05+02:00', Date.UTC(2024, 0, 2, 1, 4, 5)],
    ['2024-01-02T03:04:05-0130', Date.UTC(2024, 0, 2, 4, 34, 5)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['0099-06-01T00:00:00Z', Date.parse('0099-06-01T00:00:00Z')],
  ])('accepts %s', (input, expected) => {
    expect(parseIsoTimestamp(input)).toBe(expected);
  });

  it.each([
    ['no zone', '2024-01-02T03:04:05'],
    ['date only', '2024-01-02'],
    ['space separator', '2024-01-02 03:04:05Z'],
    ['no seconds', '2024-01-02T03:04Z'],
    ['month 13', '2024-13-02T03:04:05Z'],
    ['Feb 30', '2024-02-30T03:04:05Z'],
    ['Feb 29 of a common year', '2023-02-29T00:00:00Z'],
    ['Feb 29 of 1900', '1900-02-29T00:00:00Z'],
    ['hour 24', '2024-01-02T24:00:00Z'],
    ['leap second', '2024-06-30T23:59:60Z'],
    ['bad offset', '2024-01-02T03:04:05+25:00'],
    ['human date', '01/02/2024'],
    ['epoch number as string', '1704164645000'],
    ['empty', ''],
    ['trailing junk', '2024-01-02T03:04:05Zjunk'],
  ])('rejects %s', (_label, input) => {
    expect(parseIsoTimestamp(input)).toBeUndefined();
  });

  it('rejects non-strings', () => {
    for (const value of [1704164645000, null, undefined, {}, new Date()]) {
      expect(parseIsoTimestamp(value)).toBeUndefined();
    }
  });

  it('gives the right answer when the same input repeats and alternates (memo)', () => {
    const a = '2024-01-02T03:04:05Z';
    const b = '2024-01-02T03:04:05';
    expect([a, a, b, b, a].map(parseIsoTimestamp)).toEqual([
      Date.UTC(2024, 0, 2, 3, 4, 5),
      Date.UTC(2024, 0, 2, 3, 4, 5),
      undefined,
      undefined,
      Date.UTC(2024, 0, 2, 3, 4, 5),
    ]);
  });
});
