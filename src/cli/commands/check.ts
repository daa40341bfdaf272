import type { CheckReport, Sluice } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { type Io, printJson } from '../output.js';

/**
 * `sluice check`: prints what `Sluice.check` found. Exit 0 only if all is well; 2 for workspace and
 * model problems (SQL errors, unknown columns); 1 when only connections failed (SPEC §4).
 */
export async function checkCommand(sluice: Sluice, options: { json: boolean }, io: Io): Promise<number> {
  const report = await sluice.check();
  if (options.json) {
    printJson(io, report);
  } else {
    for (const item of report.checks) {
      io.stdout.write(`${item.skipped ? '-' : item.ok ? '✓' : '✗'} ${item.kind} ${item.name}\n`);
      for (const note of item.notes) io.stdout.write(`    ${note.replaceAll('\n', '\n    ')}\n`);
    }
    io.stdout.write(report.ok ? 'All checks passed.\n' : 'Some checks failed.\n');
  }
  if (report.ok) return EXIT.ok;
  return hasWorkspaceProblems(report) ? EXIT.invalid : EXIT.runFailed;
}

/** Whether a failed check is the workspace's fault (a model or sync problem) rather than a connection's. */
function hasWorkspaceProblems(report: CheckReport): boolean {
  return report.checks.some((i) => !i.ok && !i.skipped && (i.kind === 'sync' || i.kind === 'model'));
}
