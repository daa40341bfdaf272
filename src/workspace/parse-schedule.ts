import { z } from 'zod';
import type { ScheduleConfig } from '../core/workspace.js';
import { CRON_FORMS, cronProblem, isTimeZone, normaliseCron } from './cron-pattern.js';
import { durationMs, text } from './field-schemas.js';
import { isMapping, kindOf, type Problems, parseEntry, parseField, where } from './problems.js';
import type { Path } from './yaml-tree.js';

/** Every form `schedule:` accepts (SPEC §5): each schedule problem's fix lists them all. */
export const SCHEDULE_FORMS =
  'a cron expression ("0 6 * * *"), { cron: "0 6 * * *", timezone: Europe/Berlin }, ' +
  '"every 15m" (or { every: 15m }), continuous, or { after: [other-sync] }';
const FORMS = SCHEDULE_FORMS;

const cron = text.transform((value, ctx) => {
  const normalised = normaliseCron(value);
  const problem = cronProblem(normalised);
  if (problem !== undefined) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: problem,
      params: { fix: `write ${CRON_FORMS}` },
    });
    return z.NEVER;
  }
  return normalised;
});

const timezone = text.refine((value) => isTimeZone(value), {
  message: 'is not a time zone',
  params: { fix: 'use an IANA name such as Europe/Berlin or UTC' },
});

// A schedule that fires more than once a second would only queue runs behind each other.
const every = durationMs.refine((ms) => ms >= 1000, {
  message: 'must be at least 1s',
  params: { fix: 'use continuous to poll about every minute, or a longer interval' },
});

const SHAPE = {
  cron: cron.optional(),
  timezone: timezone.optional(),
  every: every.optional(),
  after: z.union([text.transform((name) => [name]), z.array(text).min(1)]).optional(),
};
const KINDS = ['cron', 'every', 'after'] as const;

/**
 * Validates a sync's `schedule:` (SPEC §5). `after` names are checked against the other syncs by
 * the caller, which knows them all.
 */
export function parseSchedule(p: Problems, at: Path, raw: unknown): ScheduleConfig | undefined {
  const before = p.size;
  const schedule = parseForm(p, at, raw);
  // A user who got one form wrong may want another: whatever the problem, say every form there is.
  p.amendFixesSince(before, (fix) =>
    fix?.includes(FORMS) ? fix : `${fix === undefined ? '' : `${fix}; `}schedule takes ${FORMS}`,
  );
  return schedule;
}

function parseForm(p: Problems, at: Path, raw: unknown): ScheduleConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return parseShorthand(p, at, raw);
  if (!isMapping(raw)) {
    p.add(at, `${where(at)} must be text or a mapping, not ${kindOf(raw)}`);
    return undefined;
  }
  const before = p.size;
  const v = parseEntry(p, at, SHAPE, raw);
  const present = KINDS.filter((key) => Object.hasOwn(raw, key));
  if (present.length !== 1) {
    p.add(
      at,
      present.length === 0
        ? `${where(at)} has none of cron, every, after`
        : `${where(at)} has both ${present[0]} and ${present[1]}`,
      `write exactly one of ${FORMS}`,
    );
  }
  if (Object.hasOwn(raw, 'timezone') && !present.includes('cron')) {
    p.add([...at, 'timezone'], `timezone of ${where(at)} only applies to cron`, 'remove it, or add cron:');
  }
  if (p.size > before || v === undefined) return undefined;
  if (v.cron !== undefined)
    return { kind: 'cron', cron: v.cron, ...(v.timezone === undefined ? {} : { timezone: v.timezone }) };
  if (v.every !== undefined) return { kind: 'every', everyMs: v.every };
  if (v.after !== undefined) return { kind: 'after', syncs: v.after };
  return undefined;
}

function parseShorthand(p: Problems, at: Path, raw: string): ScheduleConfig | undefined {
  const value = raw.trim();
  if (value === 'continuous') return { kind: 'continuous' };
  const interval = /^every:?\s+(.+)$/i.exec(value);
  if (interval) {
    const ms = parseField(p, at, every, interval[1]!.trim());
    return ms === undefined ? undefined : { kind: 'every', everyMs: ms };
  }
  const cron = normaliseCron(value);
  const problem = cronProblem(cron);
  if (problem !== undefined) {
    p.add(at, `${where(at)} ${problem}`, `write ${CRON_FORMS}`);
    return undefined;
  }
  return { kind: 'cron', cron };
}
