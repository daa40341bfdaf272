import { Lexer } from 'yaml';

/** Lexer tokens that mark structure but hold no text (document start, flow end, scalar start). */
const CONTROL_TOKENS = new Set(['\u0002', '\u0018', '\u001f']);

/**
 * Where a YAML text first nests deeper than `max`, found with yaml's own lexer before the text is
 * parsed: 1-based line, or 0 when it never does. yaml composes a document recursively, several stack
 * frames per level, so `[` × 100,000 (200 KB) or `- ` × 100,000 costs seconds and hundreds of MB
 * before yaml reports a stack overflow, and work that close to the stack limit can even abort V8
 * ("RegExpCompiler Allocation failed"). The lexer is iterative and this stops at the first line past
 * `max`. The count is an upper bound: per line, the flow collections open (`[`, `{`), the block
 * indentation levels open, and the `-`/`?` indicators on the line (each opens a level).
 */
export function lineNestedPast(text: string, max: number): number {
  let line = 1;
  let flow = 0;
  let atLineStart = true;
  let indent = 0;
  let indicators = 0;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    if (CONTROL_TOKENS.has(token)) continue;
    if (atLineStart && flow === 0 && /^ +$/.test(token)) {
      indent = token.length;
      continue;
    }
    if (atLineStart && token !== '\n' && token !== '\r\n' && !token.startsWith('#')) {
      atLineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if ((token === '-' || token === '?') && flow === 0) indicators++;
    if (flow + indents.length + indicators > max) return line;
    for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line++;
    if (token.endsWith('\n')) {
      atLineStart = true;
      indent = 0;
      indicators = 0;
    }
  }
  return 0;
}
