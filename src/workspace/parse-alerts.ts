import { ALERT_KINDS, type AlertKind, type AlertRule } from '../core/workspace.js';
import { suggest } from './did-you-mean.js';
import { parseDuration } from './duration.js';
import { parseTargetNames } from './parse-notify.js';
import { checkKeys, isMapping, kindOf, own, type Problems, where } from './problems.js';
import type { Path } from './yaml-tree.js';

/** What `over:` is for each kind (SPEC §7); the kinds absent here take no `over:`. */
const OVER: Partial<Record<AlertKind, 'percentage' | 'duration'>> = {
  failed_rows: 'percentage',
  invalid_rows: 'percentage',
  row_count_change: 'percentage',
  runtime: 'duration',
};
const EXAMPLE_OVER: Partial<Record<AlertKind, string>> = {
  failed_rows: '5%',
  invalid_rows: '10%',
  row_count_change: '50%',
  runtime: '30m',
};
/** The runs row_count_change averages over when `last_runs:` is not given. */
export const DEFAULT_LAST_RUNS = 5;
const MAX_LAST_RUNS = 100;
const RULE_KEYS = ['when', 'over', 'last_runs', 'notify'] as const;

/**
 * `alerts:` (SPEC §7), at the top level or in a sync: a list of `{ when, over?, last_runs?, notify }`.
 * Every notify name must be one of `targetNames`. The same rule twice in one list is a mistake;
 * undefined when the list has any problem.
 */
export function parseAlerts(
  p: Problems,
  at: Path,
  raw: unknown,
  targetNames: readonly string[],
): AlertRule[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    p.add(
      at,
      `${where(at)} must be a list of alerts, not ${kindOf(raw)}`,
      'write alerts: [{ when: run_failed, notify: [NAME] }]',
    );
    return undefined;
  }
  const before = p.size;
  const rules: AlertRule[] = [];
  raw.forEach((item, i) => {
    const rule = parseRule(p, [...at, i], item, targetNames);
    if (rule === undefined) return;
    const twin = rules.find((other) => other.id === rule.id);
    if (twin !== undefined) {
      p.add(
        [...at, i],
        `${where([...at, i])} is "${rule.id}" again (the first on line ${twin.line})`,
        'remove one of them; list every target in one notify:',
      );
      return;
    }
    rules.push(rule);
  });
  return p.size > before ? undefined : rules;
}

/**
 * A sync's effective alerts: the workspace's then its own, one per `id`. A rule written at both
 * levels is one alert, sent to the targets of both (the top level's first), so a sync can add a
 * target to a shared rule without a second, duplicate alert.
 */
export function mergeAlerts(shared: readonly AlertRule[], own: readonly AlertRule[]): AlertRule[] {
  const merged: AlertRule[] = [];
  for (const rule of [...shared, ...own]) {
    const index = merged.findIndex((other) => other.id === rule.id);
    if (index === -1) {
      merged.push({ ...rule, notify: [...rule.notify] });
      continue;
    }
    const first = merged[index]!;
    merged[index] = { ...first, notify: [...new Set([...first.notify, ...rule.notify])] };
  }
  return merged;
}

function parseRule(
  p: Problems,
  at: Path,
  raw: unknown,
  targetNames: readonly string[],
): AlertRule | undefined {
  if (!isMapping(raw)) {
    p.add(
      at,
      `${where(at)} must be a mapping, not ${kindOf(raw)}`,
      'write it as { when: failed_rows, over: 5%, notify: [NAME] }',
    );
    return undefined;
  }
  const before = p.size;
  checkKeys(p, at, raw, RULE_KEYS);
  const when = parseKind(p, [...at, 'when'], own(raw, 'when'));
  const notify = parseTargetNames(p, [...at, 'notify'], own(raw, 'notify'), targetNames);
  if (when === undefined) return undefined;
  const over = parseOver(p, [...at, 'over'], when, own(raw, 'over'));
  const lastRuns = parseLastRuns(p, [...at, 'last_runs'], when, own(raw, 'last_runs'));
  if (p.size > before || notify === undefined) return undefined;
  const rule = {
    when,
    ...(over === undefined ? {} : { over: over.value }),
    ...(when === 'row_count_change' ? { lastRuns: lastRuns ?? DEFAULT_LAST_RUNS } : {}),
  };
  return { id: alertRuleId(rule, over?.written), ...rule, notify, line: p.lineOf(at) };
}

function parseKind(p: Problems, at: Path, raw: unknown): AlertKind | undefined {
  if (raw === undefined || raw === null) {
    p.add(at, `${where(at)} is missing`, `add when: one of ${ALERT_KINDS.join(', ')}`);
    return undefined;
  }
  if (typeof raw === 'string' && (ALERT_KINDS as readonly string[]).includes(raw)) return raw as AlertKind;
  p.add(
    at,
    `${where(at)} is ${p.show(at, raw)}; it must be one of: ${ALERT_KINDS.join(', ')}`,
    typeof raw === 'string' ? suggest(raw, ALERT_KINDS, '') : `use one of: ${ALERT_KINDS.join(', ')}`,
  );
  return undefined;
}

/** `over:` as its kind needs it: a fraction of a percentage, or milliseconds of a duration. */
function parseOver(
  p: Problems,
  at: Path,
  when: AlertKind,
  raw: unknown,
): { value: number; written: string } | undefined {
  const form = OVER[when];
  if (form === undefined) {
    if (raw !== undefined) {
      p.add(
        at,
        `${where(at)} is set, but ${when} has no threshold`,
        `remove over: a ${when} alert is raised whenever ${when === 'run_failed' ? 'a run fails' : 'a completed run extracts no rows'}`,
      );
    }
    return undefined;
  }
  const example = EXAMPLE_OVER[when]!;
  if (raw === undefined || raw === null) {
    p.add(at, `${where(at)} is missing: ${when} needs a threshold`, `add over: ${example}`);
    return undefined;
  }
  if (form === 'duration') {
    const ms = typeof raw === 'string' && /^(\d+[smhd])+$/.test(raw.trim()) ? parseDuration(raw) : undefined;
    if (ms === undefined || ms <= 0) {
      p.add(
        at,
        `${where(at)} is ${p.show(at, raw)}; it must be a duration such as 30m, 2h or 90s`,
        'write a whole number followed by s, m, h or d',
      );
      return undefined;
    }
    return { value: ms, written: formatDuration(ms) };
  }
  const match = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(raw.trim()) : null;
  const percent = match === null ? undefined : Number(match[1]);
  if (percent === undefined || !(percent > 0)) {
    p.add(
      at,
      `${where(at)} is ${p.show(at, raw)}; it must be a percentage above 0 such as ${example}`,
      typeof raw === 'number' ? `write it with a percent sign: over: ${raw}%` : `write over: ${example}`,
    );
    return undefined;
  }
  // failed ÷ planned and invalid ÷ extracted never exceed 100%: such an alert could never be raised.
  if (when !== 'row_count_change' && percent >= 100) {
    p.add(
      at,
      `${where(at)} is ${p.show(at, raw)}, which ${when} can never exceed`,
      `use a percentage below 100%, e.g. ${example}`,
    );
    return undefined;
  }
  return { value: percent / 100, written: `${percent}%` };
}

function parseLastRuns(p: Problems, at: Path, when: AlertKind, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (when !== 'row_count_change') {
    p.add(
      at,
      `${where(at)} is set, but only row_count_change compares with earlier runs`,
      'remove last_runs:',
    );
    return undefined;
  }
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_LAST_RUNS) {
    p.add(
      at,
      `${where(at)} is ${p.show(at, raw)}; it must be a whole number from 1 to ${MAX_LAST_RUNS}`,
      `e.g. last_runs: ${DEFAULT_LAST_RUNS}`,
    );
    return undefined;
  }
  return raw;
}

/**
 * A rule in canonical words (`AlertRule.id`): "run_failed", "failed_rows over 5%", "runtime over
 * 1h30m", "row_count_change over 50% of the last 5 runs". `overText` is the threshold as written
 * canonically (a percentage, or a duration in d/h/m/s); it is derived from `over` when absent.
 */
export function alertRuleId(
  rule: { when: AlertKind; over?: number; lastRuns?: number },
  overText?: string,
): string {
  if (rule.over === undefined) return rule.when;
  const over =
    overText ??
    (OVER[rule.when] === 'duration'
      ? formatDuration(rule.over)
      : `${Number((rule.over * 100).toPrecision(12))}%`);
  const id = `${rule.when} over ${over}`;
  return rule.when === 'row_count_change'
    ? `${id} of the last ${rule.lastRuns ?? DEFAULT_LAST_RUNS} runs`
    : id;
}

/** Milliseconds as d, h, m and s from the largest unit ("1h30m", "90s" → "1m30s"): one text per length. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const amount = Math.floor(rest / seconds);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * seconds;
  }
  return parts.length === 0 ? '0s' : parts.join('');
}
