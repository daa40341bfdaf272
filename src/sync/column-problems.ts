import { type ConfigProblem, formatProblems, SluiceError } from '../core/errors.js';
import type { SyncConfig } from '../core/workspace.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import { mappingSpecFor } from './plan-details.js';

/**
 * What a sync reads that its model's columns lack: the key column, mapped columns, template
 * variables and the bundle's include list, each a problem naming the sync, the mapping and its
 * line in the workspace file. Empty when the model fits. Used when a run starts and by `sluice check`.
 */
export function columnProblems(
  sync: SyncConfig,
  descriptor: ObjectDescriptor,
  columns: readonly string[],
): ConfigProblem[] {
  // Compiled here with the sync's lines; the run's own compiled mapping keeps the spec it always had
  // (its JSON is part of every row's fingerprint).
  const mapping = compileMapping({
    ...mappingSpecFor(sync, descriptor),
    file: sync.file,
    line: sync.line,
    keyLine: sync.keyLine,
    bundleLine: sync.bundleLine,
  });
  return mapping
    .columnProblems(columns)
    .map((problem) => ({ ...problem, message: `sync "${sync.name}": ${problem.message}` }));
}

/** The error a run starts with when its model lacks columns the sync reads (exit 2, SPEC §4). */
export function columnsError(sync: SyncConfig, problems: readonly ConfigProblem[]): SluiceError {
  const count = problems.length === 1 ? 'a column' : `${problems.length} columns`;
  return new SluiceError(
    'config_invalid',
    `sync "${sync.name}" reads ${count} its model "${sync.model}" does not have:\n${formatProblems(problems)}`,
    { problems },
  );
}
