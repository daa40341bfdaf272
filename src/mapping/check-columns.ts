import { editDistance } from '../core/edit-distance.js';
import type { ConfigProblem } from '../core/errors.js';
import type { ColumnUse } from './mapping-plan.js';

/**
 * Every column the mapping reads that the model does not have, one located problem each, with the
 * nearest real column as a hint ("did you mean …") when one is close.
 */
export function columnProblems(
  file: string,
  uses: readonly ColumnUse[],
  columns: readonly string[],
): ConfigProblem[] {
  const known = new Set(columns);
  const problems: ConfigProblem[] = [];
  // In file order, like every other list of config problems.
  for (const use of [...uses].sort((a, b) => a.line - b.line)) {
    if (known.has(use.column)) continue;
    const near = nearestName(use.column, columns);
    const message =
      use.via === 'template'
        ? `${use.who}: the template reads "${use.column}", which is not a column of the model`
        : `${use.who}: column "${use.column}" is not in the model`;
    const fix = near === undefined ? listColumns(columns) : `did you mean "${near}"?`;
    problems.push({ file, line: use.line, message, fix });
  }
  return problems;
}

function listColumns(columns: readonly string[]): string {
  if (columns.length === 0) return 'the model has no columns';
  const shown = columns.slice(0, 20).join(', ');
  return `the model's columns: ${shown}${columns.length > 20 ? `, … (${columns.length} in all)` : ''}`;
}

/** The candidate within a small edit distance (a third of the name, at least 1), case-insensitively. */
function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
