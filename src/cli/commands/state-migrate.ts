import type { Sluice } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { formatCount, type Io, printJson } from '../output.js';

/**
 * `sluice state migrate --to URL [--force] [--json]` (SPEC §5): copies the workspace's state into
 * another store, then says what to change in sluice.yaml.
 */
export async function stateMigrateCommand(
  sluice: Sluice,
  options: { to: string; force: boolean; json: boolean },
  io: Io,
): Promise<number> {
  const copied = await sluice.migrateState(options.to, { force: options.force });
  if (options.json) {
    printJson(io, copied);
    return EXIT.ok;
  }
  io.stdout.write(
    `Copied ${formatCount(copied.runs)} runs, ${formatCount(copied.records)} records, ${formatCount(copied.keys)} key states and ${formatCount(copied.tokens)} API tokens to ${copied.to}${copied.replaced ? ' (the state that was there is replaced)' : ''}.\n` +
      `Now set state: in ${sluice.workspace.file} to it (with \${VAR} for its password): runs there send nothing delivered before.\n`,
  );
  return EXIT.ok;
}
