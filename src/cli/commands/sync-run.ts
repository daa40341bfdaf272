import type { Sluice, SyncRunResult } from '../../index.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { faultHookFromEnv } from '../fault-hook.js';
import { formatCount, type Io, printJson } from '../output.js';
import { Progress } from '../progress.js';
import { autoPrune } from './prune.js';

export interface SyncRunFlags {
  dryRun: boolean;
  fullResync: boolean;
  retryAbandoned: boolean;
  strict: boolean;
  json: boolean;
}

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
  try {
    for (const sync of syncs) {
      const progress = new Progress(io, sync.name);
      const controller = new AbortController();
      // First signal: stop gracefully (finish and record the batches in flight). Second: exit now —
      // safe too, since every change is durable with its messageId before it is sent.
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) {
          io.stderr.write(
            `\n${signal} again: exiting now; the next run resends what was in flight under the same messageIds.\n`,
          );
          process.exit(130);
        }
        io.stderr.write(
          `\n${signal}: stopping ${sync.name} after the batches in flight (press Ctrl-C again to exit now)…\n`,
        );
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
          onWarning: (message) => io.stderr.write(`${message}\n`),
        });
        progress.done();
        results.push(result);
        if (!flags.json) io.stdout.write(`${describeResult(result)}\n`);
        // The loud last word: rows that did not reach Segment, on stderr whatever stdout carries
        // (written after the automatic prune below, so that nothing comes after it).
        const undelivered = undeliveredWarning(result);
        if (undelivered !== null) loud.push(undelivered);
      } finally {
        progress.done();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    // Retention (SPEC §7): cheap and at most daily, after real runs only (a dry run changes nothing).
    if (!flags.dryRun) await autoPrune(sluice, io);
  } finally {
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
