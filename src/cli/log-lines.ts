import type { Io } from './output.js';

/** How `serve` and `worker` write their logs (SPEC §7 `--log-format`): JSON lines by default. */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Anything a service logs: an event name and its fields (worker, scheduler and server events). */
export type LogEvent = { event: string } & Record<string, unknown>;

/** Events worth a warning: something failed or was refused. */
const WARNINGS = new Set([
  'run_refused',
  'worker_error',
  'scheduler_error',
  'service_error',
  'schedule_skipped',
  'run_warning',
  'alert_raised',
  'notification_failed',
  'notification_given_up',
  'notification_delivery_error',
]);

/**
 * Writes one line per event on stderr: a JSON object (time, level, event, and for a run its `run_id`
 * and `sync` at the top level), or the same in words for a person. A finished run's line carries its
 * summary without samples. Nothing a log line holds is a secret: events carry none.
 */
export function logWriter(io: Io, format: LogFormat): (event: LogEvent) => void {
  return (event) => {
    const line = logLine(event);
    io.stderr.write(`${format === 'json' ? JSON.stringify(line) : pretty(line)}\n`);
  };
}

export function logLine(event: LogEvent): Record<string, unknown> {
  const time = new Date().toISOString();
  if (event.event === 'run_finished' && typeof event.result === 'object' && event.result !== null) {
    const { result: raw, ...rest } = event;
    const result = raw as {
      run_id: string;
      status: string;
      dry_run: boolean;
      counts: { failed: number; abandoned: number };
      duration_ms: number;
      error: unknown;
      writeback?: { error: unknown };
    };
    // A writeback that failed leaves the run completed, but someone must hear of it (SPEC §7).
    const failed =
      result.status === 'failed' ||
      result.counts.failed + result.counts.abandoned > 0 ||
      (result.writeback !== undefined && result.writeback.error !== null);
    return {
      time,
      level: failed ? 'warn' : 'info',
      ...rest,
      run_id: result.run_id,
      status: result.status,
      dry_run: result.dry_run,
      counts: result.counts,
      duration_ms: result.duration_ms,
      error: result.error,
      ...(result.writeback === undefined ? {} : { writeback: result.writeback }),
    };
  }
  return { time, level: WARNINGS.has(event.event) ? 'warn' : 'info', ...event };
}

/** `12:00:01 warn  run_refused sync=users run_id=r_… code=sync_locked message="…"`. */
function pretty(line: Record<string, unknown>): string {
  const { time, level, event, ...fields } = line;
  const words = Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(
      ([name, value]) =>
        `${name}=${typeof value === 'string' && !/\s|"/.test(value) ? value : JSON.stringify(value)}`,
    );
  return [String(time).slice(11, 19), String(level).padEnd(4), event, ...words].join(' ');
}
