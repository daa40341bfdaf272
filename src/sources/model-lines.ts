import type { ModelLines } from './source.js';

/** Where an engine's error falls relative to the user's model (StreamOptions.modelLines). */
export interface ErrorPlace {
  /** The 1-based line in the model's own SQL. */
  modelLine?: number;
  /** The error is in the query Sluice wrapped around the model (e.g. the sync key's column). */
  inWrapper?: boolean;
}

/** Said of an error outside the user's SQL: the words the engine quoted are Sluice's, not theirs. */
export const IN_WRAPPER_NOTE =
  "(in the query Sluice wraps around the model: check the sync's key column and the model's columns)";

/** The model's line of a 1-based line of the query that ran, if the query wrapped a model. */
export function placeLine(line: number, frame: ModelLines | undefined): ErrorPlace {
  if (frame === undefined) return { modelLine: line };
  const modelLine = line - frame.first + 1;
  return modelLine >= 1 && modelLine <= frame.count ? { modelLine } : { inWrapper: true };
}

/** The 1-based line of a 1-based character position in `sql` (PostgreSQL's error `position`). */
export function lineAtPosition(sql: string, position: number): number {
  let line = 1;
  // PostgreSQL counts characters (code points), not UTF-16 units.
  let index = 0;
  for (const char of sql) {
    index++;
    if (index >= position) break;
    if (char === '\n') line++;
  }
  return line;
}

/**
 * Rewrites the line number an engine wrote into its message (`pattern`'s first group) so that it
 * counts lines of the model, and realigns a caret line under a "LINE n:" excerpt when the number
 * got shorter. Returns the words unchanged when there is no number or no wrapper.
 */
export function relocateLineNumber(
  words: string,
  pattern: RegExp,
  frame: ModelLines | undefined,
): { words: string; place: ErrorPlace } {
  const match = pattern.exec(words);
  if (match === null || frame === undefined) return { words, place: {} };
  const written = match[1] as string;
  const place = placeLine(Number(written), frame);
  if (place.modelLine === undefined) return { words: `${words} ${IN_WRAPPER_NOTE}`, place };
  const shown = String(place.modelLine);
  const start = match.index + match[0].indexOf(written);
  let out = words.slice(0, start) + shown + words.slice(start + written.length);
  const shift = written.length - shown.length;
  if (shift > 0) {
    // DuckDB points at the column with a caret on the next line, indented past "LINE n: ".
    const lineEnd = out.indexOf('\n', start);
    const caret = lineEnd === -1 ? null : /^( +)\^/.exec(out.slice(lineEnd + 1));
    if (caret !== null && caret[1]!.length > shift) {
      out = out.slice(0, lineEnd + 1) + out.slice(lineEnd + 1 + shift);
    }
  }
  return { words: out, place };
}
