/**
 * A minimal parser for standard five-field cron expressions (minute hour day-of-month month
 * day-of-week), the form SPEC §5 accepts. Each field is a comma list of `*`, `N`, `A-B`, with an
 * optional `/STEP`; months and weekdays also take English three-letter names; weekday 7 is Sunday.
 * Macros (`@hourly`, `@daily`, …) expand to their five fields. Quartz extensions (`?`, `L`, `W`,
 * `#`, seconds) are refused rather than half-understood.
 */

/** The expanded sets of a cron expression, for a scheduler to match times against. */
export interface CronFields {
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly number[];
  months: readonly number[];
  /** 0–6, Sunday = 0. */
  daysOfWeek: readonly number[];
  /**
   * Vixie cron's rule: when both day fields are restricted (not `*`), a day matches if either
   * matches; otherwise both must.
   */
  daysOfMonthRestricted: boolean;
  daysOfWeekRestricted: boolean;
}

export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** Expands a macro and normalises spacing: the form stored in the workspace. */
export function normaliseCron(expression: string): string {
  const trimmed = expression.trim();
  return CRON_MACROS[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(' ');
}

/** Parses a cron expression; `error` says what is wrong in words a user can act on. */
export function parseCron(
  expression: string,
): { ok: true; fields: CronFields } | { ok: false; error: string } {
  const parts = normaliseCron(expression).split(' ');
  if (parts.length !== 5) {
    return {
      ok: false,
      error: `has ${parts.length} field(s); cron needs 5 (minute hour day-of-month month day-of-week)`,
    };
  }
  const sets: number[][] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const parsed = parseField(parts[index]!, spec);
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    sets.push(parsed);
  }
  const daysOfWeek = [...new Set(sets[4]!.map((d) => d % 7))].sort((a, b) => a - b);
  return {
    ok: true,
    fields: {
      minutes: sets[0]!,
      hours: sets[1]!,
      daysOfMonth: sets[2]!,
      months: sets[3]!,
      daysOfWeek,
      daysOfMonthRestricted: parts[2] !== '*',
      daysOfWeekRestricted: parts[4] !== '*',
    },
  };
}

function parseField(text: string, spec: FieldSpec): number[] | string {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match) return `has "${item}" as ${spec.name}, which is not a value, range or */step`;
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return `has a step of 0 in the ${spec.name} field`;
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const [from, to, ...extra] = range!.split('-');
      const a = value(from!, spec);
      const b = to === undefined ? (stepText === undefined ? a : spec.max) : value(to, spec);
      if (extra.length > 0 || a === undefined || b === undefined) {
        return `has "${item}" as ${spec.name}; it must be ${spec.min}–${spec.max}${spec.names ? ' or a name' : ''}`;
      }
      if (a > b) return `has the range "${item}" backwards in the ${spec.name} field`;
      low = a;
      high = b;
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function value(text: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : undefined;
}
