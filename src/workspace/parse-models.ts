import path from 'node:path';
import type { ModelConfig } from '../core/workspace.js';
import { suggest } from './did-you-mean.js';
import { text } from './field-schemas.js';
import { type Problems, parseEntry, where } from './problems.js';
import type { Path } from './yaml-tree.js';

const MODEL_SHAPE = { source: text, sql: text.optional(), file: text.optional() };

/** What a model entry needs from the rest of the workspace. */
export interface ModelContext {
  dir: string;
  sourceNames: readonly string[];
  readFile: (absPath: string) => string;
}

/** Validates one `models.<name>` entry: a known source and exactly one of `sql` / `file`. */
export function parseModel(p: Problems, at: Path, raw: unknown, ctx: ModelContext): ModelConfig | undefined {
  const before = p.size;
  const v = parseEntry(p, at, MODEL_SHAPE, raw);
  if (v === undefined) return undefined;
  if (v.source !== undefined && !ctx.sourceNames.includes(v.source)) {
    p.add(
      [...at, 'source'],
      `${where(at)} reads from source ${p.show([...at, 'source'], v.source)}, which is not defined`,
      suggest(v.source, ctx.sourceNames, 'define it under sources:'),
    );
  }
  let sql = v.sql;
  if (v.sql !== undefined && v.file !== undefined) {
    p.add([...at, 'file'], `${where(at)} has both sql and file`, 'keep one of them');
  } else if (v.sql === undefined && v.file === undefined && p.size === before) {
    p.add(at, `${where(at)} has neither sql nor file`, 'add sql: "select …" or file: models/NAME.sql');
  } else if (v.file !== undefined) {
    sql = readModelFile(p, [...at, 'file'], v.file, ctx);
  }
  if (p.size > before || v.source === undefined || sql === undefined) return undefined;
  const origin =
    v.file === undefined
      ? { file: p.file, line: p.lineOf([...at, 'sql']), inline: true }
      : { file: v.file, line: 1, inline: false };
  return { source: v.source, sql, origin };
}

function readModelFile(p: Problems, at: Path, file: string, ctx: ModelContext): string | undefined {
  const shown = p.show(at, file);
  let sql: string;
  try {
    sql = ctx.readFile(path.resolve(ctx.dir, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      p.add(
        at,
        `model file ${shown} does not exist`,
        'create it, or fix the path (relative to the workspace folder)',
      );
    } else {
      p.add(
        at,
        `model file ${shown} cannot be read (${code ?? (error as Error).message})`,
        'check the path and its permissions',
      );
    }
    return undefined;
  }
  if (sql.trim() === '') {
    p.add(at, `model file ${shown} is empty`, 'write the model SQL in it');
    return undefined;
  }
  return sql;
}
