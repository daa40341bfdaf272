import type { AlertKind, NotificationType } from '../core/workspace.js';

/**
 * The bodies of notifications (SPEC §7): JSON `{"type", "timestamp", "data"}`, which is a webhook's
 * body exactly and what the state's outbox keeps, and the Slack `{"text"}` made from it when it is
 * sent to a Slack target. Nothing here reads a secret: a run event carries the run's document as
 * the caller built it, an alert event the rule and its figures.
 */

export type RunEventType = 'run.started' | 'run.completed' | 'run.failed';
export type AlertEventType = 'alert.raised' | 'alert.resolved';

/** A notification's body, parsed. */
export interface NotificationEvent {
  type: NotificationType;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  data: unknown;
}

/**
 * What an alert event says (`data` of alert.raised / alert.resolved). The alert is the one open for
 * `sync` and `rule` that `raised_run_id` raised: the store names alerts only once they change, so
 * the event names it by what the store's id stands for (at most one alert of a sync and rule is
 * open at a time).
 */
export interface AlertEventData {
  sync: string;
  /** The rule in canonical words (`AlertRule.id`), e.g. "failed_rows over 5%". */
  rule: string;
  kind: AlertKind;
  state: 'raised' | 'resolved';
  /** The figures of the run that changed it, e.g. `{ failed, planned, ratio, over }`. */
  figures: Record<string, number>;
  /** The run that changed it. */
  run_id: string;
  /** The run that raised it (for a raise, `run_id`) and when. */
  raised_run_id: string;
  raised_at: string;
}

/** The body of a run event: `document` is the run's summary document (SPEC §4) as the caller built it. */
export function runEventBody(type: RunEventType, document: object, timestamp: string): string {
  return JSON.stringify({ type, timestamp, data: document } satisfies NotificationEvent);
}

/** The body of an alert event. */
export function alertEventBody(data: AlertEventData, timestamp: string): string {
  const type: AlertEventType = data.state === 'raised' ? 'alert.raised' : 'alert.resolved';
  return JSON.stringify({ type, timestamp, data } satisfies NotificationEvent);
}

/**
 * The Slack-compatible body for a notification's body: one line a person reads, naming the sync and
 * what happened, e.g. "🔴 users-to-segment: failed_rows over 5% raised — 12 of 100 planned rows
 * failed (12%) in run r_…".
 */
export function slackMessage(body: string): { text: string } {
  const event = JSON.parse(body) as NotificationEvent;
  const data = isObject(event.data) ? event.data : {};
  switch (event.type) {
    case 'run.started':
    case 'run.completed':
    case 'run.failed':
      return { text: runLine(event.type, data) };
    case 'alert.raised':
    case 'alert.resolved':
      return { text: alertLine(data as Partial<AlertEventData>) };
    default:
      return { text: `Sluice: ${slackEscape(String(event.type))}` };
  }
}

function runLine(type: RunEventType, run: Record<string, unknown>): string {
  const sync = slackEscape(text(run.sync));
  const runId = slackEscape(text(run.run_id));
  const counts = isObject(run.counts) ? run.counts : {};
  const took = typeof run.duration_ms === 'number' ? ` in ${humanDuration(run.duration_ms)}` : '';
  if (type === 'run.started') return `▶️ ${sync}: run ${runId} started`;
  if (type === 'run.failed') {
    const error = isObject(run.error) ? run.error : {};
    const why =
      error.code === undefined
        ? ''
        : ` — ${slackEscape(text(error.code))}: ${slackEscape(clip(text(error.message)))}`;
    return `❌ ${sync}: run ${runId} failed${took}${why}`;
  }
  const notDelivered = count(counts.failed) + count(counts.abandoned);
  const figures = `${number(count(counts.extracted))} rows read, ${number(count(counts.succeeded))} sent, ${number(notDelivered)} not delivered, ${number(count(counts.invalid))} invalid`;
  return `${notDelivered > 0 ? '⚠️' : '✅'} ${sync}: run ${runId} completed${took} — ${figures}`;
}

function alertLine(alert: Partial<AlertEventData>): string {
  const raised = alert.state === 'raised';
  const figures = isObject(alert.figures) ? (alert.figures as Record<string, number>) : {};
  const what = slackEscape(`${text(alert.rule)} ${raised ? 'raised' : 'resolved'}`);
  return `${raised ? '🔴' : '🟢'} ${slackEscape(text(alert.sync))}: ${what} — ${describeFigures(alert.kind, raised, figures)} in run ${slackEscape(text(alert.run_id))}`;
}

/** The figures of an alert, in words, e.g. "12 of 100 planned rows failed (12%)". */
export function describeFigures(
  kind: AlertKind | undefined,
  raised: boolean,
  f: Readonly<Record<string, number>>,
): string {
  switch (kind) {
    case 'run_failed':
      return raised ? 'the run failed' : 'the run succeeded';
    case 'failed_rows':
      return count(f.planned) === 0
        ? 'no rows were planned'
        : `${number(count(f.failed))} of ${number(count(f.planned))} planned rows failed (${percent(f.ratio)})`;
    case 'invalid_rows':
      return count(f.extracted) === 0
        ? 'no rows were read'
        : `${number(count(f.invalid))} of ${number(count(f.extracted))} rows read were invalid (${percent(f.ratio)})`;
    case 'runtime':
      return `the run took ${humanDuration(count(f.runtime_ms))}`;
    case 'zero_rows':
      return count(f.extracted) === 0
        ? 'the run read no rows'
        : `the run read ${number(count(f.extracted))} rows`;
    case 'row_count_change': {
      const runs = count(f.runs);
      if (runs === 0) return `${number(count(f.extracted))} rows read, with no earlier run to compare`;
      const mean = number(Math.round(count(f.mean) * 10) / 10);
      const last = runs === 1 ? 'the last run' : `the last ${runs} runs`;
      if (count(f.mean) === 0) return `${number(count(f.extracted))} rows read; ${last} read none`;
      const change = count(f.change);
      const direction = count(f.extracted) >= count(f.mean) ? 'more' : 'fewer';
      return `${number(count(f.extracted))} rows read, ${percent(change)} ${direction} than the mean of ${last} (${mean})`;
    }
    default:
      return 'the alert changed';
  }
}

/** "1h 2m", "3m 5s", "850ms". */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let seconds = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const amount = Math.floor(seconds / size);
    seconds -= amount * size;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.slice(0, 2).join(' ');
}

function percent(ratio: number | undefined): string {
  return `${Number((count(ratio) * 100).toFixed(1))}%`;
}

function number(value: number): string {
  return value.toLocaleString('en-US');
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '?' : String(value);
}

function clip(value: string, max = 300): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Slack's three control characters (api.slack.com/reference/surfaces/formatting#escaping). */
function slackEscape(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
