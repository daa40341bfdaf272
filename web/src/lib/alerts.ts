/** The alerts page's reading of alerts' figures and of notify targets' health (SPEC §7). */
import { count, duration } from './format';

/** Kinds whose `ratio` and `over` are fractions (0.05 for 5%): src/core/workspace.ts `AlertRule.over`. */
const FRACTION_KINDS = new Set(['failed_rows', 'invalid_rows', 'row_count_change']);
const FRACTION_FIGURES = new Set(['ratio', 'over', 'change']);

const DECIMAL = new Intl.NumberFormat('en', { maximumFractionDigits: 3 });

/** One figure as a person reads it: `failed 12`, `ratio 12.5%`, `over 30 min 0 s`. */
export function figureText(kind: string, name: string, value: number): string {
  if (FRACTION_KINDS.has(kind) && FRACTION_FIGURES.has(name)) {
    const percent = value * 100;
    return `${name} ${percent.toFixed(Number.isInteger(percent) ? 0 : 1)}%`;
  }
  if (kind === 'runtime' && (name === 'over' || /ms$/.test(name))) return `${name} ${duration(value)}`;
  return `${name} ${Number.isInteger(value) ? count(value) : DECIMAL.format(value)}`;
}

export function figuresText(kind: string, figures: Record<string, number> | null): string[] {
  return Object.entries(figures ?? {}).map(([name, value]) => figureText(kind, name, value));
}

/** What a notify target's deliveries say: failing (its newest attempt failed), waiting, fine, or gone. */
export function targetHealth(target: {
  type: string | null;
  pending: number;
  last_failure: unknown;
}): 'failing' | 'waiting' | 'ok' | 'gone' {
  if (target.last_failure !== null) return 'failing';
  if (target.type === null) return 'gone';
  return target.pending > 0 ? 'waiting' : 'ok';
}

/** Open alerts a sync has, by sync name: the syncs page's badges. */
export function openBySync(alerts: readonly { sync: string; state: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const alert of alerts)
    if (alert.state === 'raised') counts.set(alert.sync, (counts.get(alert.sync) ?? 0) + 1);
  return counts;
}
