import type { Row, Value } from '../core/values.js';
import type { ModelConfig } from '../core/workspace.js';
import type { Source, SourceColumn } from '../sources/source.js';
import { locateModelError, modelBody, modelLinesIn, probeModel } from './model-sql.js';

/** A column of a preview: the JSON type Sluice sends its values as, and the engine's type name. */
export interface PreviewColumn {
  name: string;
  /**
   * The JSON types of the values read ("number", "string", "boolean", "object", "array"), joined
   * with "|" when they differ (a BIGINT beyond 2^53 is sent as a string); "null" when every value
   * read was null.
   */
  type: string;
  /** The engine's type name, where the source knows it (SourceColumn.type). */
  source_type?: string;
}

/** What `sluice model preview` shows (SPEC §4: `{"columns": [{"name", "type"}], "rows": [{…}]}`). */
export interface ModelPreview {
  columns: PreviewColumn[];
  rows: Row[];
}

/**
 * A model's first `limit` rows exactly as a sync reads them (the shared value model every message is
 * built from). Streams one batch of `limit` rows and stops, so a large model is not read further.
 * SQL errors name the model's file and line.
 */
export async function previewModel(
  source: Source,
  model: ModelConfig,
  limit: number,
  signal?: AbortSignal,
): Promise<ModelPreview> {
  const body = modelBody(model.sql);
  let columns: readonly SourceColumn[] = [];
  const rows: Row[] = [];
  try {
    if (limit > 0) {
      for await (const batch of source.stream(body, {
        batchSize: limit,
        modelLines: modelLinesIn('', body),
        onColumns: (found) => {
          columns = found;
        },
        ...(signal ? { signal } : {}),
      })) {
        rows.push(...batch.slice(0, limit));
        break; // one batch of `limit` rows is all a preview reads
      }
    } else {
      columns = await probeModel(source, model.sql, signal);
    }
  } catch (error) {
    throw locateModelError(model.origin, error);
  }
  return {
    columns: columns.map((column) => ({
      name: column.name,
      type: jsonTypes(rows.map((row) => row[column.name] ?? null)),
      ...(column.type === undefined ? {} : { source_type: column.type }),
    })),
    rows,
  };
}

function jsonTypes(values: readonly Value[]): string {
  const types = new Set<string>();
  for (const value of values) {
    if (value === null) continue;
    types.add(Array.isArray(value) ? 'array' : typeof value);
  }
  return types.size === 0 ? 'null' : [...types].sort().join('|');
}
