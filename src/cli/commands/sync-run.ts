import type { SyncRunResult } from '../../sync/run-result.js';
import { runSync } from '../../sync/run-sync.js';
import { EXIT } from '../exit-codes.js';
import { faultHookFromEnv } from '../fault-hook.js';
import { formatCount, type Io, printJson } from '../output.js';
import { Progress } from '../progress.js';
import type { Runtime } from '../runtime.js';

export interface SyncRunFlags {
  dryRun: boolean;
  fullResync: boolean;
  retryAbandoned: boolean;
  strict: boolean;
  json: boolean;
}

/**
 * `sluice sync run NAME…`: runs the syncs one after another. A run that fails does not stop the
 * next one; the exit code is the worst: 1 if any failed, else 3 under --strict if any row was
 * invalid or failed, else 0 (SPEC §4).
 */
export async function syncRunCommand(
  runtime: Runtime,
  names: string[],
  flags: SyncRunFlags,
  io: Io,
): Promise<number> {
  const syncs = names.map((name) => runtime.sync(name));
  const results: SyncRunResult[] = [];
  for (const sync of syncs) {
    const parts = await runtime.syncParts(sync);
    const progress = new Progress(io, sync.name, !flags.json);
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
    try {
      const result = await runSync(sync, runtime.workspace.models[sync.model]!, parts, {
        dryRun: flags.dryRun,
        fullResync: flags.fullResync,
        retryAbandoned: flags.retryAbandoned,
        signal: controller.signal,
        onFaultPoint: faultHookFromEnv(process.env),
        onProgress: (counts) => progress.update(counts),
      });
      progress.done();
      results.push(result);
      if (!flags.json) io.stdout.write(`${describeResult(result)}\n`);
    } finally {
      progress.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  if (flags.json) printJson(io, results.length === 1 && names.length === 1 ? results[0] : results);
  if (results.some((r) => r.status === 'failed')) return EXIT.runFailed;
  if (flags.strict && results.some((r) => r.counts.invalid > 0 || r.counts.failed > 0)) return EXIT.strict;
  return EXIT.ok;
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
      `  delivered ${formatCount(c.succeeded)} · failed ${formatCount(c.failed)} (failed rows are retried by the next run)`,
    );
  }
  if (result.error) lines.push(`  error [${result.error.code}]: ${result.error.message}`);
  for (const sample of result.samples ?? []) {
    const why =
      sample.reason === 'new' ? 'new' : `changed: ${sample.changed_fields.join(', ') || '(id or stamp)'}`;
    lines.push(`  · ${sample.key} — ${why}`);
    lines.push(`    ${JSON.stringify(sample.message)}`);
  }
  if (!result.dry_run) {
    lines.push(`  run ${result.run_id} — see its rows with: sluice records ${result.run_id}`);
  }
  return lines.join('\n');
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
