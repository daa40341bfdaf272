import type { AlertDocument, Sluice, TargetDocument } from '../../index.js';
import { formatCount, type Io, printJson } from '../output.js';

export interface AlertsFlags {
  sync?: string;
  state?: 'raised' | 'resolved';
  limit: number;
  json: boolean;
}

/**
 * `sluice alerts [--sync NAME] [--state raised|resolved] [--limit N] [--json]` (SPEC §7): the alerts,
 * open ones first, and how each `notify:` target's deliveries go, so a target that keeps failing is
 * seen here and not only in a log.
 */
export async function alertsCommand(sluice: Sluice, flags: AlertsFlags, io: Io): Promise<number> {
  const listing = await sluice.alerts({
    ...(flags.sync === undefined ? {} : { sync: flags.sync }),
    ...(flags.state === undefined ? {} : { state: flags.state }),
    limit: flags.limit,
  });
  if (flags.json) {
    printJson(io, listing);
    return 0;
  }
  const open = listing.items.filter((alert) => alert.state === 'raised');
  const resolved = listing.items.filter((alert) => alert.state === 'resolved');
  const lines: string[] = [];
  if (listing.items.length === 0) {
    lines.push(
      Object.keys(sluice.workspace.notify ?? {}).length === 0 && !hasAlertRules(sluice)
        ? 'No alerts: sluice.yaml sets none (see "Know when it breaks" in the README).'
        : 'No alerts raised.',
    );
  }
  if (open.length > 0) lines.push(`Open (${formatCount(open.length)}):`, ...open.map(describeAlert));
  if (resolved.length > 0) lines.push('Resolved:', ...resolved.map(describeAlert));
  if (listing.next_cursor !== null) lines.push(`… more: raise --limit (now ${flags.limit})`);
  if (listing.targets.length > 0) {
    lines.push('Notification targets:', ...listing.targets.map(describeTarget));
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function hasAlertRules(sluice: Sluice): boolean {
  return Object.values(sluice.workspace.syncs).some((sync) => (sync.alerts ?? []).length > 0);
}

function describeAlert(alert: AlertDocument): string {
  const raised = `raised ${alert.raised_at} by run ${alert.raised_run_id} (${figuresText(alert.figures)})`;
  const resolved =
    alert.resolved_at === null ? '' : `; resolved ${alert.resolved_at} by run ${alert.resolved_run_id}`;
  return `  ${alert.state === 'raised' ? '●' : '○'} ${alert.sync}: ${alert.rule} — ${raised}${resolved}`;
}

/** `failed 12 · planned 100 · ratio 0.120`: an alert's figures for a person. */
export function figuresText(figures: Record<string, number>): string {
  return Object.entries(figures)
    .map(([name, value]) => `${name} ${Number.isInteger(value) ? formatCount(value) : value.toFixed(3)}`)
    .join(' · ');
}

function describeTarget(target: TargetDocument): string {
  const what =
    target.type === null
      ? 'no longer in sluice.yaml'
      : `${target.type}${target.host ? `, ${target.host}` : ''}`;
  const counts = `${formatCount(target.delivered)} delivered · ${formatCount(target.pending)} pending · ${formatCount(target.failed)} given up`;
  const failure = target.last_failure;
  const failing =
    failure === null
      ? ''
      : ` — failing, last at ${failure.at}: ${failure.status === null ? failure.error : `HTTP ${failure.status}: ${failure.error}`}`;
  return `  ${failure === null ? '✓' : '✗'} ${target.target} (${what}): ${counts}${failing}`;
}
