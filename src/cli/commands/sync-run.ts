import type { ObserveEvent, RetryStatus, RunCounts, Sluice, SyncRunResult } from '../../index.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { faultHookFromEnv } from '../fault-hook.js';
import { type LogEvent, type LogFormat, logWriter } from '../log-lines.js';
import { formatCount, type Io, printJson } from '../output.js';
import { Progress } from '../progress.js';
import { figuresText } from './alerts.js';
import { autoPrune } from './prune.js';

export interface SyncRunFlags {
  dryRun: boolean;
  fullResync: boolean;
  retryAbandoned: boolean;
  strict: boolean;
  json: boolean;
  /**
   * Structured logs on stderr instead of the progress display and the lines for a person (SPEC §7):
   * every line about a run carries its run id and sync.
   */
  logFormat?: LogFormat;
}

/** How long notifications still pending after the runs are retried before the CLI exits (SPEC §7). */
const NOTIFY_WAIT_MS = 60_000;
/** How often a structured log tells a running run's counts. */
const PROGRESS_LOG_EVERY_MS = 5_000;

/**
 * `sluice sync run NAME…`: runs the syncs one after another. A run that fails does not stop the
 * next one; the exit code is the worst (SPEC §4): 1 if any run failed or left rows undelivered
 * (failed or abandoned: cron and CI must notice), else 3 under --strict if any row was invalid,
 * else 0.
 */
export async function syncRunCommand(
  sluice: Sluice,
  names: string[],
  flags: SyncRunFlags,
  io: Io,
): Promise<number> {
  // Every name is checked before the first run starts.
  const syncs = names.map((name) => sluice.sync(name));
  const results: SyncRunResult[] = [];
  /** Lines about rows that were not delivered, written last. */
  const loud: string[] = [];
  const log = flags.logFormat === undefined ? null : logWriter(io, flags.logFormat);
  const stopObserving = sluice.onObserve((event) => {
    if (log !== null) log(event);
    else if (event.event === 'alert_raised' || event.event === 'alert_resolved') {
      io.stderr.write(`${describeAlertChange(event)}\n`);
    }
  });
  try {
    for (const sync of syncs) {
      const progress = log === null ? new Progress(io, sync.name) : new ProgressLog(log, sync.name);
      const controller = new AbortController();
      // First signal: stop gracefully (finish and record the batches in flight). Second: exit now —
      // safe too, since every change is durable with its messageId before it is sent.
      const onSignal = (signal: NodeJS.Signals) => {
        const hard = controller.signal.aborted;
        if (log !== null) log({ event: 'signal', signal, hard, sync: sync.name });
        if (hard) {
          if (log === null) {
            io.stderr.write(
              `\n${signal} again: exiting now; the next run resends what was in flight under the same messageIds.\n`,
            );
          }
          process.exit(130);
        }
        if (log === null) {
          io.stderr.write(
            `\n${signal}: stopping ${sync.name} after the batches in flight (press Ctrl-C again to exit now)…\n`,
          );
        }
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      progress.start();
      try {
        const result = await sluice.run(sync.name, {
          dryRun: flags.dryRun,
          fullResync: flags.fullResync,
          retryAbandoned: flags.retryAbandoned,
          signal: controller.signal,
          onFaultPoint: faultHookFromEnv(process.env),
          onProgress: (counts, retrying) => progress.update(counts, retrying),
          onStarted: ({ runId }) => {
            if (progress instanceof ProgressLog) progress.started(runId);
            log?.({ event: 'run_started', sync: sync.name, run_id: runId, reason: 'cli' });
          },
          onWarning: (message) =>
            log === null
              ? io.stderr.write(`${message}\n`)
              : log({ event: 'run_warning', sync: sync.name, message }),
        });
        progress.done();
        results.push(result);
        log?.({ event: 'run_finished', sync: sync.name, result });
        if (!flags.json) io.stdout.write(`${describeResult(result)}\n`);
        // The loud last word: rows that did not reach Segment, on stderr whatever stdout carries
        // (written after the automatic prune below, so that nothing comes after it). A structured
        // log said it in the run's line already.
        const undelivered = undeliveredWarning(result);
        if (undelivered !== null && log === null) loud.push(undelivered);
      } finally {
        progress.done();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    // Retention (SPEC §7): cheap and at most daily, after real runs only (a dry run changes nothing).
    if (!flags.dryRun) await autoPrune(sluice, io);
    await deliverBeforeExit(sluice, io, log !== null);
  } finally {
    stopObserving();
    // Also when a later sync could not start: the rows of the earlier ones must not go unmentioned.
    for (const line of loud) io.stderr.write(`${line}\n`);
  }
  if (flags.json) printJson(io, results.length === 1 && names.length === 1 ? results[0] : results);
  // A run stopped by the workspace (a column the model lacks) is a config problem: 2 wins (SPEC §4).
  if (results.some((r) => r.error !== null && exitCodeFor(r.error.code) === EXIT.invalid))
    return EXIT.invalid;
  if (results.some((r) => r.status === 'failed' || undelivered(r) > 0)) return EXIT.runFailed;
  if (flags.strict && results.some((r) => r.counts.invalid > 0)) return EXIT.strict;
  return EXIT.ok;
}

/**
 * Delivers the notifications the runs queued (and any left by earlier ones), retrying failures for
 * at most a minute (SPEC §7); what is still pending is said, and left to the next run or `serve`.
 */
async function deliverBeforeExit(sluice: Sluice, io: Io, logged: boolean): Promise<void> {
  const waitMs = notifyWaitMs(process.env);
  try {
    const { pending } = await sluice.deliverNotifications({ withinMs: waitMs });
    if (pending > 0 && !logged) {
      io.stderr.write(
        `✗ ${formatCount(pending)} notification${pending === 1 ? '' : 's'} not delivered yet; the next run or sluice serve retries ${pending === 1 ? 'it' : 'them'}. See which target fails: sluice alerts\n`,
      );
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`warning: delivering notifications failed (${message}); the next run retries them\n`);
  }
}

/**
 * `SLUICE_NOTIFY_WAIT_MS` shortens (or lengthens) the minute a CLI waits for failing notification
 * targets before it exits: a script that must not wait sets 0 (what is pending goes out later).
 */
function notifyWaitMs(env: NodeJS.ProcessEnv): number {
  const value = env.SLUICE_NOTIFY_WAIT_MS;
  if (value === undefined || value === '') return NOTIFY_WAIT_MS;
  const ms = Number(value);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : NOTIFY_WAIT_MS;
}

/** `⚠ alert raised: users-to-segment: failed_rows over 5% (run r_…; failed 12 · planned 100 · …)`. */
function describeAlertChange(event: ObserveEvent & { event: 'alert_raised' | 'alert_resolved' }): string {
  const figures = figuresText(event.figures);
  const what = event.event === 'alert_raised' ? '⚠ alert raised' : '✓ alert resolved';
  return `${what}: ${event.sync}: ${event.rule} (run ${event.run_id}${figures === '' ? '' : `; ${figures}`}). See: sluice alerts`;
}

/**
 * A run's counts in a structured log: a `run_progress` line every few seconds while it goes, in
 * place of the progress display (which is for a person).
 */
class ProgressLog {
  readonly #log: (event: LogEvent) => void;
  readonly #sync: string;
  #runId: string | null = null;
  #counts: Readonly<RunCounts> | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(log: (event: LogEvent) => void, sync: string) {
    this.#log = log;
    this.#sync = sync;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#runId === null || this.#counts === null) return;
      this.#log({
        event: 'run_progress',
        sync: this.#sync,
        run_id: this.#runId,
        counts: { ...this.#counts },
      });
    }, PROGRESS_LOG_EVERY_MS);
    this.#timer.unref();
  }

  started(runId: string): void {
    this.#runId = runId;
  }

  update(counts: Readonly<RunCounts>, _retrying: RetryStatus | null): void {
    this.#counts = counts;
  }

  done(): void {
    clearInterval(this.#timer);
  }
}

/** Rows of a run that did not reach the destination: failed (retried next run) or abandoned. */
function undelivered(result: SyncRunResult): number {
  return result.dry_run ? 0 : result.counts.failed + result.counts.abandoned;
}

/**
 * One line that cannot be missed when rows were not delivered, saying how many, what happens to
 * them, and where to look; null when every planned row was delivered.
 */
export function undeliveredWarning(result: SyncRunResult): string | null {
  if (undelivered(result) === 0) return null;
  const { failed, abandoned } = result.counts;
  const parts: string[] = [];
  if (failed > 0) {
    parts.push(
      `${formatCount(failed)} row${failed === 1 ? '' : 's'} could not be delivered; they stay pending and the next run retries them`,
    );
  }
  if (abandoned > 0) {
    parts.push(
      `${formatCount(abandoned)} row${abandoned === 1 ? ' was' : 's were'} abandoned by the sync's retry policy (retried only when their data changes, or with --retry-abandoned)`,
    );
  }
  const status = failed > 0 ? 'failed' : 'abandoned';
  return `✗ ${result.sync}: ${parts.join('; ')}. See why: sluice records ${result.run_id} --status ${status}`;
}

/** A few lines for a person: what happened, and where to look next. */
export function describeResult(result: SyncRunResult): string {
  const c = result.counts;
  const head = `${result.dry_run ? 'Dry run of' : 'Sync'} ${result.sync}: ${result.status} in ${formatDuration(result.duration_ms)}`;
  const lines = [
    head,
    `  read ${formatCount(c.extracted)} rows · ${formatCount(c.unchanged)} unchanged · ${formatCount(c.invalid)} invalid · ${formatCount(c.planned)} to send (${formatCount(c.new)} new, ${formatCount(c.changed)} changed)`,
  ];
  if (!result.dry_run) {
    lines.push(
      `  delivered ${formatCount(c.succeeded)} · failed ${formatCount(c.failed)} · abandoned ${formatCount(c.abandoned)} · removed ${formatCount(c.removed)}`,
    );
  } else if (c.removed > 0) {
    lines.push(
      `  removed ${formatCount(c.removed)} (delivered before, absent now: nothing is sent for them)`,
    );
  }
  if (result.error) {
    // Each problem on its own line, indented under the error (the message lists them too).
    const [first = '', ...rest] = result.error.message.split('\n');
    lines.push(`  error [${result.error.code}]: ${first}`, ...rest.map((line) => `    ${line}`));
  }
  for (const sample of result.samples ?? []) {
    const why =
      sample.reason === 'new' ? 'new' : `changed: ${sample.changed_fields.join(', ') || '(id or stamp)'}`;
    lines.push(`  · ${sample.key} — ${why}`);
    lines.push(`    ${JSON.stringify(sample.message)}`);
  }
  for (const sample of result.invalid_samples ?? []) {
    lines.push(`  ✗ ${sample.key ?? '(no key)'} — invalid: ${sample.reason}: ${sample.detail}`);
  }
  const notShown = result.not_shown;
  if (notShown && (notShown.planned > 0 || notShown.invalid > 0)) {
    lines.push(
      `  … and ${formatCount(notShown.planned)} more planned, ${formatCount(notShown.invalid)} more invalid rows not shown`,
    );
  }
  const writeback = result.writeback;
  if (writeback !== undefined) {
    const into = `${writeback.source}.${writeback.table}`;
    lines.push(
      writeback.error === null
        ? `  wrote back ${formatCount(writeback.rows)} rows into ${into}`
        : `  writeback into ${into} failed: ${writeback.error.message}`,
    );
  }
  if (!result.dry_run) {
    lines.push(`  run ${result.run_id} — see its rows with: sluice records ${result.run_id}`);
  }
  return lines.join('\n');
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
