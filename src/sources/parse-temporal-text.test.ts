import { describe, expect, it } from 'vitest';
import { daysFromCivil, isoDateFromText, isoFromTimestampText, timeFromText } from './parse-temporal-text.js';

describe('isoFromTimestampText', () => {
  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'],
    ['2024-01-02 03:04:05.678912+00', '2024-01-02T03:04:05.678Z'],
    ['2024-01-02 03:04:05.6+05:30', '2024-01-01T21:34:05.600Z'],
    ['2024-06-30 23:59:59.999-05', '2024-07-01T04:59:59.999Z'],
    ['2024-01-02 03:04:05+0100', '2024-01-02T02:04:05.000Z'],
    ['1900-01-01 00:00:00+00:53:28', '1899-12-31T23:06:32.000Z'],
    ['1969-12-31 23:59:59.9995', '1969-12-31T23:59:59.999Z'],
    ['1969-12-31 23:59:59.999999+00', '1969-12-31T23:59:59.999Z'],
    ['2024-01-02 03:04', '2024-01-02T03:04:00.000Z'],
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['0044-03-15 12:00:00 BC', '-000043-03-15T12:00:00.000Z'],
    ['10000-01-01 00:00:00', '+010000-01-01T00:00:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(isoFromTimestampText(text)).toBe(iso);
  });

  it.each([
    '',
    'infinity',
    '-infinity',
    '0000-00-00 00:00:00',
    '2023-02-29 00:00:00',
    '2024-13-01',
    '2024-01-02 24:00:00',
    '2024-01-02 03:60:00',
    'yesterday',
    '2024-01-02 03:04:05 +00 extra',
  ])('refuses %j', (text) => {
    expect(isoFromTimestampText(text)).toBeUndefined();
  });
});

describe('isoDateFromText', () => {
  it.each([
    ['2024-02-29', '2024-02-29'],
    ['1815-12-10', '1815-12-10'],
    ['0001-01-01 BC', '0000-01-01'],
    ['10000-01-01', '+010000-01-01'],
  ])('%s → %s', (text, date) => {
    expect(isoDateFromText(text)).toBe(date);
  });

  it.each(['0000-00-00', '2023-02-29', 'infinity', '2024-1-2', '2024-01-02 00:00:00'])(
    'refuses %j',
    (text) => {
      expect(isoDateFromText(text)).toBeUndefined();
    },
  );
});

describe('timeFromText', () => {
  it.each([
    ['13:14:15', '13:14:15'],
    ['13:14:15.1234', '13:14:15.123'],
    ['13:14:15.000400', '13:14:15'],
    ['24:00:00', '24:00:00'],
    ['-12:00:00.5', '-12:00:00.500'],
    ['838:59:59', '838:59:59'],
    ['07:08', '07:08:00'],
  ])('%s → %s', (text, time) => {
    expect(timeFromText(text)).toBe(time);
  });

  it('refuses what is not a time', () => {
    expect(timeFromText('12:61:00')).toBeUndefined();
    expect(timeFromText('noon')).toBeUndefined();
  });
});

describe('daysFromCivil', () => {
  it('counts days from 1970-01-01 like Date.UTC, before and after', () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [1969, 12, 31],
      [2000, 2, 29],
      [1600, 3, 1],
      [2400, 12, 31],
      [1, 1, 1],
    ] as const) {
      const date = new Date(0);
      date.setUTCFullYear(y, m - 1, d);
      expect(daysFromCivil(y, m, d)).toBe(Math.floor(date.getTime() / 86_400_000));
    }
  });
});
