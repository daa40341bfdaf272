import { type ConfigProblem, formatProblems, SluiceError } from '../core/errors.js';
import type { SyncConfig } from '../core/workspace.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import { mappingSpecFor } from './plan-details.js';

/**
 * What a sync reads that its model's columns lack: the key column, mapped columns, template
 * variables, the bundle's include list and an event cursor's column, each a problem naming the
 * sync, the mapping and its line in the workspace file. Empty when the model fits. Used when a run
 * starts and by `sluice check`.
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
  return [...mapping.columnProblems(columns), ...cursorProblems(sync, columns)]
    .sort((a, b) => a.line - b.line)
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

/** An event cursor (SPEC §3 "Event cursors") whose column the model lacks: the window's query cannot run. */
function cursorProblems(sync: SyncConfig, columns: readonly string[]): ConfigProblem[] {
  const cursor = sync.cursor;
  if (cursor === undefined || columns.includes(cursor.column)) return [];
  const near = columns.find((name) => name.toLowerCase() === cursor.column.toLowerCase());
  return [
    {
      file: sync.file,
      line: cursor.line,
      message: `the cursor: column "${cursor.column}" is not in the model`,
      fix:
        near === undefined
          ? `name a timestamp or date column of the model: ${columns.slice(0, 20).join(', ')}`
          : `did you mean "${near}"?`,
    },
  ];
}
