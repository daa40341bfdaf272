import type { Value } from '../../core/values.js';
import type { Sluice } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Io, printJson } from '../output.js';

/** Longest cell of the human table; the JSON output is never shortened. */
const MAX_CELL = 40;

/**
 * `sluice model preview NAME [--limit 20] [--json]`: the model's first rows as Sluice reads them,
 * with the JSON type each column is sent as and the engine's type (SPEC §4).
 */
export async function modelPreviewCommand(
  sluice: Sluice,
  name: string,
  options: { limit: number; json: boolean },
  io: Io,
): Promise<number> {
  const preview = await sluice.previewModel(name, { limit: options.limit });
  const source = sluice.workspace.models[name]!.source;
  if (options.json) {
    printJson(io, preview);
    return EXIT.ok;
  }
  const headers = preview.columns.map((c) => c.name);
  const types = preview.columns.map((c) =>
    c.source_type === undefined ? c.type : `${c.type} (${c.source_type})`,
  );
  const rows = preview.rows.map((row) => preview.columns.map((c) => cell(row[c.name] ?? null)));
  io.stdout.write(`${formatTable(headers, [types, ...rows])}\n`);
  const count = preview.rows.length;
  io.stdout.write(
    `${count} row${count === 1 ? '' : 's'} of model "${name}" (source "${source}"), as Sluice reads them; ` +
      "the second line is the JSON type each column is sent as (and the engine's type)\n",
  );
  return EXIT.ok;
}

function cell(value: Value): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const flat = text.replace(/[\r\n\t]/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}
