import { describe, expect, it } from 'vitest';
import { normaliseTimestamp, timestampProblem } from './normalise-timestamp.js';

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
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'], // canonical fast path, leap day
    ['2000-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z'],
    ['2024-12-31T00:00:00.000Z', '2024-12-31T00:00:00.000Z'],
    ['2024-01-02T03:04:05.678z', '2024-01-02T03:04:05.678Z'],
    // What the sources write for micro- and nanosecond columns (src/sources/README.md): truncated.
    ['2024-01-02T03:04:05.678901Z', '2024-01-02T03:04:05.678Z'],
    ['2024-01-02T03:04:05.6789Z', '2024-01-02T03:04:05.678Z'],
    ['2024-01-02T03:04:05.999999999Z', '2024-01-02T03:04:05.999Z'], // never rounded into the next second
    ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999Z'],
    ['2024-01-02T03:04:05.678901', '2024-01-02T03:04:05.678Z'], // no zone: UTC
    ['2024-01-02T03:04:05.1234567890Z', '2024-01-02T03:04:05.123Z'], // 10 digits: the regex path
    // ISO's expanded years, inside 0000–9999.
    ['+002024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'],
    ['+000000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
    ['+009999-12-31', '9999-12-31T00:00:00.000Z'],
    ['-000001-12-31T23:00:00-01:00', '0000-01-01T00:00:00.000Z'], // a zone brings it into range
  ])('%j → %s', (input, expected) => {
    expect(normaliseTimestamp(input)).toBe(expected);
  });

  it.each([
    '2023-02-29T00:00:00.000Z', // not a leap year (canonical fast path)
    '2024-02-30T00:00:00Z',
    '1900-02-29T00:00:00.000Z', // divisible by 100, not by 400
    '2024-04-31T00:00:00.000Z',
    '2024-00-01T00:00:00.000Z',
    '2024-01-00T00:00:00.000Z',
    '2024-01-02T24:00:00.000Z',
    '2024-01-02T23:60:00.000Z',
    '2024-01-02T23:59:60.000Z',
    '2024-01-02X03:04:05.678Z',
    '2024-01-02T03:04:05.6a8Z',
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
    '2023-02-29T00:00:00.000001Z', // sub-millisecond fast path checks the date too
    '2024-01-02T03:04:05.678x01Z',
    '-000000-01-01T00:00:00Z', // not a year in ISO-8601
    '+02024-01-02T00:00:00Z',
    // Outside 0000–9999: the sources write these exactly; Segment's timestamp cannot carry them.
    '+275761-09-13T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '-000044-03-15T12:00:00.000Z',
    '+010000-01-01T00:00:00Z',
    '-000001-12-31T23:59:59.999Z',
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

  // Found by segment.property.test.ts: a zone carried these past the 4-digit years, and
  // toISOString wrote "+010000-01-01T…" / "-000001-12-31T…", which the receiver refuses.
  it('refuses instants a zone carries outside years 0000–9999', () => {
    expect(normaliseTimestamp('9999-12-31T23:59:59-23:59')).toBeNull();
    expect(normaliseTimestamp('0000-01-01T00:00:00+00:01')).toBeNull();
    expect(normaliseTimestamp(new Date(Date.UTC(10_000, 0, 1)))).toBeNull();
    expect(normaliseTimestamp('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59.000Z');
    expect(normaliseTimestamp('0000-01-01T00:00:00Z')).toBe('0000-01-01T00:00:00.000Z');
  });

  it('says why: out of range, a number, or not ISO-8601', () => {
    expect(timestampProblem('+275761-09-13T00:00:00.000Z')).toContain('outside the years 0000–9999');
    expect(timestampProblem('-000044-03-15T12:00:00.000Z')).toContain('outside the years 0000–9999');
    expect(timestampProblem(new Date(Date.UTC(10_000, 0, 1)))).toContain('outside the years');
    expect(timestampProblem('9999-12-31T23:59:59-23:59')).toContain('outside the years');
    expect(timestampProblem(1_700_000_000)).toContain('is a number');
    expect(timestampProblem('yesterday')).toContain('"yesterday" is not an ISO-8601');
    expect(timestampProblem('2023-02-29')).toContain('is not an ISO-8601');
    expect(timestampProblem(true)).toContain('of type boolean');
  });
});
