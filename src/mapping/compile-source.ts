import type { Row } from '../core/values.js';
import type { Mapping } from '../core/workspace.js';
import { compileTemplate, errorText } from './compile-template.js';
import { freezeConstant } from './freeze-constant.js';
import { RowFailure } from './row-failure.js';
import { isRecord } from './set-path.js';

/** How a compiled source's value can be shaped, as far as compilation can tell. */
export type SourceShape =
  /** A column or a JSON template: anything, known per row. */
  | 'any'
  /** Always a string (a plain template) or a scalar constant: never an object or array. */
  | 'scalar'
  | 'object'
  | 'array';

/** A mapping's source, ready to read a row. `read` throws RowFailure; it never returns undefined. */
export interface CompiledSource {
  kind: 'key' | 'column' | 'constant' | 'template';
  shape: SourceShape;
  /** Columns it reads (the column, or a template's variables), for usedColumns and checkColumns. */
  columns: readonly string[];
  read: (row: Row) => unknown;
}

/**
 * Compiles one mapping's source. `where` names it in row errors ("mapping "traits.name" (line 12)").
 * @throws Error with a one-line message when it cannot compile (unparsable template, bad constant).
 */
export function compileSource(source: Mapping['source'], where: string): CompiledSource {
  switch (source.kind) {
    case 'column':
      if (typeof source.column !== 'string' || source.column.length === 0)
        throw new Error('the column name is empty');
      return {
        kind: 'column',
        shape: 'any',
        columns: [source.column],
        read: columnReader(source.column, where),
      };
    case 'constant': {
      const value = freezeConstant(source.value === undefined ? null : source.value);
      const shape = Array.isArray(value) ? 'array' : isRecord(value) ? 'object' : 'scalar';
      return { kind: 'constant', shape, columns: [], read: () => value };
    }
    case 'template':
      return templateSource(source.template, source.json, where);
  }
}

/** The sync key's column: read like a column mapping. */
export function keySource(column: string): CompiledSource {
  return { kind: 'key', shape: 'scalar', columns: [column], read: columnReader(column, 'the sync key') };
}

function columnReader(column: string, where: string): (row: Row) => unknown {
  return (row) => {
    const value = row[column];
    // Row values are never undefined: undefined means the model has no such column.
    if (value === undefined)
      throw new RowFailure('template_error', `${where}: column "${column}" is not in the row`);
    return value;
  };
}

function templateSource(text: string, json: boolean, where: string): CompiledSource {
  if (typeof text !== 'string') throw new Error('the template is not text');
  const template = compileTemplate(text);
  const render = (row: Row): string => {
    try {
      return template.render(row);
    } catch (error) {
      throw new RowFailure('template_error', `${where}: ${errorText(error)}`);
    }
  };
  const read = json
    ? (row: Row): unknown => {
        const output = render(row);
        try {
          return JSON.parse(output);
        } catch (error) {
          const excerpt = output.length > 60 ? `${output.slice(0, 60)}…` : output;
          throw new RowFailure(
            'template_error',
            `${where}: output is not valid JSON (${errorText(error)}): ${JSON.stringify(excerpt)}`,
          );
        }
      }
    : render;
  return { kind: 'template', shape: json ? 'any' : 'scalar', columns: template.variables, read };
}
