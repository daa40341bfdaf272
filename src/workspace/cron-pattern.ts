import { Cron } from 'croner';

/**
 * Cron in sluice.yaml is croner's dialect (https://github.com/hexagon/croner), the same library the
 * scheduler fires with (schedule/schedule-times.ts), so what is accepted here is exactly what runs.
 * Five fields only — minute hour day-of-month month day-of-week — with lists, ranges, steps,
 * month and weekday names, 7 as Sunday, and croner's `L`, `#` and `?`. A sixth field is refused:
 * croner would read it as seconds in front, Quartz users as seconds and others as a year, and one
 * expression should mean one thing. When both day fields are restricted a day matches either (Vixie
 * cron's OR, croner's default `domAndDow: false`).
 */

/** What a cron problem's fix says is accepted. */
export const CRON_FORMS =
  'five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *" ' +
  '(lists, ranges, */steps, names such as mon-fri, L and #; no seconds field), or @hourly, @daily, @weekly, @monthly, @yearly';

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Expands a macro and collapses spacing: the form stored in the workspace and shown to users. */
export function normaliseCron(expression: string): string {
  const trimmed = expression.trim();
  return MACROS[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(' ');
}

/**
 * What is wrong with a (normalised) cron expression, in words to follow `schedule of sync "s"`, or
 * undefined when it is fine. Croner's own text says what it refused; an expression croner takes that
 * never matches a date (`0 0 31 2 *`) is refused too, since it would never run.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.split(' ').length;
  if (fields !== 5)
    return `has ${fields} field(s); cron needs 5 (minute hour day-of-month month day-of-week)`;
  let cron: Cron;
  try {
    // Without a callback croner schedules nothing: this only parses.
    cron = new Cron(expression, { timezone: 'UTC', domAndDow: false });
  } catch (error) {
    const text = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '');
    return `is not a cron expression: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  }
  if (cron.nextRun(new Date(0)) === null) return 'never matches a date, so it would never run';
  return undefined;
}

/**
 * Whether croner can evaluate times in `timeZone` (an IANA name). Croner takes any name at
 * construction and fails only at the first evaluation, so this evaluates once.
 */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Cron('0 0 * * *', { timezone: timeZone }).nextRun(new Date(0));
    return true;
  } catch {
    return false;
  }
}
