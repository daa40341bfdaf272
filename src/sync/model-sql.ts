import { type ConfigProblem, isSluiceError, SluiceError } from '../core/errors.js';
import type { ModelConfig } from '../core/workspace.js';
import type { ModelLines, Source, SourceColumn } from '../sources/source.js';

/** The model's SQL as it goes inside a wrapper: without the semicolons a subquery cannot end with. */
export function modelBody(modelSql: string): string {
  return modelSql.replace(/[\s;]+$/u, '');
}

/** Where `body` sits in a wrapper that puts `prefix` (ending in a newline) before it. */
export function modelLinesIn(prefix: string, body: string): ModelLines {
  return { first: prefix.split('\n').length, count: body.split('\n').length };
}

/**
 * The model's columns, with the engine's type names, read without reading a row: the model runs
 * wrapped in `select * from (…) limit 0`, which every engine answers with the result's columns and
 * no rows (MySQL documents LIMIT 0 as the quick way to check a query). SQL errors are the source's,
 * placed on the model's own lines (`details.modelLine`).
 */
export async function probeModel(
  source: Source,
  modelSql: string,
  signal?: AbortSignal,
): Promise<SourceColumn[]> {
  const prefix = 'select * from (\n';
  const body = modelBody(modelSql);
  const sql = `${prefix}${body}\n) ${source.capabilities.quoteIdentifier('sluice_probe')} limit 0`;
  let columns: readonly SourceColumn[] | undefined;
  for await (const _ of source.stream(sql, {
    batchSize: 1,
    modelLines: modelLinesIn(prefix, body),
    onColumns: (found) => {
      columns = found;
    },
    ...(signal ? { signal } : {}),
  })) {
    // limit 0: no rows come.
  }
  if (columns === undefined) {
    throw new SluiceError('source_error', 'the source returned no description of the columns');
  }
  return [...columns];
}

/**
 * Where an error in a model's SQL is, in the user's terms: `models/orders.sql` line 4 for a model
 * from `file:`, or the model's `sql:` line in sluice.yaml and the line within the SQL for one
 * written there.
 */
export function modelErrorProblem(name: string, model: ModelConfig, error: unknown): ConfigProblem {
  const message = isSluiceError(error) || error instanceof Error ? error.message : String(error);
  const line = modelLineOf(error);
  const { origin } = model;
  if (!origin.inline) return { file: origin.file, line: line ?? 0, message: `model "${name}": ${message}` };
  const within = line === undefined ? '' : `, line ${line} of its SQL`;
  return { file: origin.file, line: origin.line, message: `model "${name}"${within}: ${message}` };
}

/**
 * The source's error, its message starting with where in the user's files it is
 * (`models/orders.sql:4: …`) when the engine placed it on a line of the model.
 */
export function locateModelError(origin: ModelConfig['origin'], error: unknown): unknown {
  const line = modelLineOf(error);
  if (!isSluiceError(error) || line === undefined) return error;
  const where = origin.inline
    ? `${origin.file}:${origin.line} (line ${line} of the model's SQL)`
    : `${origin.file}:${line}`;
  return new SluiceError(error.code, `${where}: ${error.message}`, {
    cause: error.cause ?? error,
    details: { ...error.details },
    problems: error.problems,
  });
}

function modelLineOf(error: unknown): number | undefined {
  if (!isSluiceError(error)) return undefined;
  const line = error.details.modelLine;
  return typeof line === 'number' ? line : undefined;
}
