import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import { writeDemoWorkspace } from '../init/demo-workspace.js';
import type { Io } from '../output.js';

/** `sluice init [DIR]`: a runnable demo workspace aimed at a local receiver. */
export async function initCommand(
  dir: string,
  options: { endpoint: string; force: boolean },
  io: Io,
): Promise<number> {
  const target = resolve(dir);
  if (existsSync(join(target, 'sluice.yaml')) && !options.force) {
    throw new SluiceError(
      'usage',
      `${join(target, 'sluice.yaml')} exists already — pass --force to overwrite it`,
    );
  }
  await writeDemoWorkspace(target, options.endpoint);
  io.stdout.write(
    [
      `Wrote a demo workspace to ${target}:`,
      '  sluice.yaml        sources, a Segment destination, models and three syncs',
      '  warehouse.duckdb   500 users, 50 accounts, 2,000 events',
      '',
      'Try it:',
      `  sluice receiver --port ${new URL(options.endpoint).port || 8787}      # in another terminal: a local Segment`,
      `  sluice -w ${dir} check`,
      `  sluice -w ${dir} sync run users-to-segment --dry-run`,
      `  sluice -w ${dir} sync run users-to-segment accounts-to-segment events-to-segment`,
      `  sluice -w ${dir} runs`,
      '',
    ].join('\n'),
  );
  return 0;
}
