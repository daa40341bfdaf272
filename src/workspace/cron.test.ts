import { describe, expect, it } from 'vitest';
import { normaliseCron, parseCron } from './cron.js';
import { parseDuration } from './duration.js';

describe('parseCron', () => {
  it('expands fields, steps, ranges, lists and names', () => {
    const parsed = parseCron('*/15 9-17/4 1,15 jan-mar mon-fri');
    expect(parsed).toEqual({
      ok: true,
      fields: {
        minutes: [0, 15, 30, 45],
        hours: [9, 13, 17],
        daysOfMonth: [1, 15],
        months: [1, 2, 3],
        daysOfWeek: [1, 2, 3, 4, 5],
        daysOfMonthRestricted: true,
        daysOfWeekRestricted: true,
      },
    });
  });

  it('treats weekday 7 as Sunday and a start/step as running to the end', () => {
    const parsed = parseCron('5/20 0 * * 5-7');
    expect(parsed.ok && parsed.fields.minutes).toEqual([5, 25, 45]);
    expect(parsed.ok && parsed.fields.daysOfWeek).toEqual([0, 5, 6]);
    expect(parsed.ok && parsed.fields.daysOfMonthRestricted).toBe(false);
  });

  it('expands macros', () => {
    expect(normaliseCron(' @Hourly ')).toBe('0 * * * *');
    expect(normaliseCron('0   6 * *  *')).toBe('0 6 * * *');
    expect(parseCron('@weekly').ok).toBe(true);
  });

  it.each([
    ['* * * *', /has 4 field\(s\)/],
    ['60 * * * *', /"60" as minute; it must be 0–59/],
    ['* 24 * * *', /as hour/],
    ['* * 0 * *', /as day of month; it must be 1–31/],
    ['* * * 13 *', /as month; it must be 1–12 or a name/],
    ['* * * * 8', /as day of week/],
    ['*/0 * * * *', /step of 0/],
    ['10-5 * * * *', /backwards/],
    ['? * * * *', /"\?" as minute/],
    ['* * L * *', /as day of month/],
    ['1-2-3 * * * *', /"1-2-3"/],
  ])('refuses %s', (expression, error) => {
    const parsed = parseCron(expression);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(error);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    [' 10s ', 10_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '1.5h', '15 m', '-1s', '1w', '99999999999999999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
