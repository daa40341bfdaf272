/**
 * The mapping language's entry point, and the one module code outside `mapping/` imports: a sync
 * compiles its mappings once (`compileMapping`) and maps each row with the result. The language is
 * described in README.md in this folder.
 */

import { type ConfigProblem, formatProblems } from '../core/errors.js';
import type { Row } from '../core/values.js';
import type { BundleConfig, Mapping } from '../core/workspace.js';
import { columnProblems } from './check-columns.js';
import { MappingConfigError } from './mapping-config-error.js';
import { planMapping } from './mapping-plan.js';
import { buildEvaluator } from './node-evaluator.js';
import { RowFailure } from './row-failure.js';

export { changedFields, leafPaths } from './changed-fields.js';
export { MappingConfigError } from './mapping-config-error.js';
export { formatPath, MAX_PATH_INDEX, type PathSegment, parsePath } from './parse-path.js';
export { setPath } from './set-path.js';

/** What one sync's mappings need to know, taken from its SyncConfig and its destination object. */
export interface MappingSpec {
  /** The sync key: its column's value goes to `field` (e.g. userId) when one is given. */
  key: { column: string; field?: string };
  mappings: readonly Mapping[];
  bundle?: BundleConfig;
  /** The sync's nulls policy; a mapping's own `nulls` overrides it for that mapping. */
  nulls: 'send' | 'skip';
  /** Top-level fields whose values are sent as strings, e.g. ['userId', 'anonymousId', 'groupId']. */
  idFields: readonly string[];
  /** Top-level fields that must be objects when mapped whole: ['traits', 'properties', 'context', 'integrations']. */
  objectFields: readonly string[];
  /** The workspace file named in problems (default "sluice.yaml"). */
  file?: string;
  /** The sync's line in that file: where problems with the key or the bundle point (default 0: none). */
  line?: number;
  /** The lines of the sync's `key:` and `bundle:`, when known: more precise than `line`. */
  keyLine?: number;
  bundleLine?: number;
}

/** The mapped payload of one row, or why the row cannot be mapped (SPEC §3's reason codes). */
export type MapResult =
  | { ok: true; payload: Record<string, unknown> }
  | { ok: false; reason: 'template_error' | 'not_an_object'; message: string };

/** One sync's mappings, compiled once; `map` is then pure, synchronous and never throws. */
export interface CompiledMapping {
  /**
   * Maps one row. The payload is a fresh object tree along every mapped path, but values taken whole
   * from the row (objects, arrays) and constants are shared, and constants are frozen: treat the
   * payload as read-only, and copy before changing anything inside it.
   */
  map(row: Row): MapResult;
  /**
   * Columns the key and the mappings read: the key column, every `column` source and every column a
   * template reads (found by static analysis). The bundle takes the model's other columns.
   */
  readonly usedColumns: ReadonlySet<string>;
  /** Whether a bundle is configured, i.e. whether `map` may read columns outside `usedColumns`. */
  readonly bundlesColumns: boolean;
  /**
   * Checks the mapping against the model's columns before any row is mapped: one line per problem
   * (`sluice.yaml:12: mapping "traits.email": column "emial" is not in the model — did you mean
   * "email"?`), empty when all is well. A column missing from a row at map time is a `template_error`
   * for that row, so a sync should call this first and fail the run on any problem.
   */
  checkColumns(columns: readonly string[]): string[];
  /** {@link checkColumns}' problems as values, for reports that carry them (`--json`, `sluice check`). */
  columnProblems(columns: readonly string[]): ConfigProblem[];
}

/**
 * Compiles a sync's key, mappings and bundle once: paths parsed, templates parsed, conflicts found,
 * one closure per destination path. See README.md in this folder for the language and merge order.
 * @throws MappingConfigError listing every problem, each with its sluice.yaml line.
 */
export function compileMapping(spec: MappingSpec): CompiledMapping {
  const plan = planMapping(spec);
  if (plan.problems.length > 0) {
    throw new MappingConfigError([...plan.problems].sort((a, b) => a.line - b.line));
  }
  const usedColumns = new Set(plan.uses.filter((use) => use.via !== 'include').map((use) => use.column));
  const evaluate = buildEvaluator(plan.root, {
    idFields: spec.idFields,
    objectFields: spec.objectFields,
    bundle: spec.bundle,
    usedColumns,
    nulls: spec.nulls,
  });
  return new CompiledSyncMapping(evaluate, usedColumns, spec.bundle !== undefined, (columns) =>
    columnProblems(spec.file ?? 'sluice.yaml', plan.uses, columns),
  );
}

class CompiledSyncMapping implements CompiledMapping {
  readonly usedColumns: ReadonlySet<string>;
  readonly bundlesColumns: boolean;
  readonly #evaluate: (row: Row) => Record<string, unknown>;
  readonly #columnProblems: (columns: readonly string[]) => ConfigProblem[];

  constructor(
    evaluate: (row: Row) => Record<string, unknown>,
    usedColumns: ReadonlySet<string>,
    bundlesColumns: boolean,
    check: (columns: readonly string[]) => ConfigProblem[],
  ) {
    this.#evaluate = evaluate;
    this.usedColumns = usedColumns;
    this.bundlesColumns = bundlesColumns;
    this.#columnProblems = check;
  }

  map(row: Row): MapResult {
    try {
      return { ok: true, payload: this.#evaluate(row) };
    } catch (error) {
      if (error instanceof RowFailure) return { ok: false, reason: error.reason, message: error.message };
      // Not ours (a liquidjs or engine bug): still a row failure, never a crashed run.
      return {
        ok: false,
        reason: 'template_error',
        message: `mapping failed: ${String((error as Error)?.message ?? error)}`,
      };
    }
  }

  checkColumns(columns: readonly string[]): string[] {
    return this.#columnProblems(columns).map((problem) => formatProblems([problem]));
  }

  columnProblems(columns: readonly string[]): ConfigProblem[] {
    return this.#columnProblems(columns);
  }
}
