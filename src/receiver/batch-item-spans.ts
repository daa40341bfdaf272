const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The raw byte length of each element of the top-level `"batch"` array of a JSON body that
 * `JSON.parse` already accepted, or `undefined` when the layout is not the plain one (say, a
 * top-level key written with escapes). It lets the receiver skip `JSON.stringify` for the many
 * messages too small to break the 32 KB limit: see `parseIngestRequest`.
 *
 * One pass; string contents are skipped with `indexOf` (native memchr), so the cost is mostly the
 * bytes outside strings. The last `"batch"` key wins, as in `JSON.parse`.
 */
export function batchItemSpans(body: Buffer): number[] | undefined {
  const n = body.length;
  let depth = 0;
  let expectKey = false;
  let keyIsBatch = false;
  let inBatch = false;
  let spans: number[] | undefined;
  let itemStart = -1;
  let lastSignificant = -1;
  let i = 0;
  while (i < n) {
    const c = body[i] as number;
    if (c === QUOTE) {
      let end = i + 1;
      for (;;) {
        end = body.indexOf(QUOTE, end);
        if (end === -1) return undefined;
        let k = end - 1;
        while (body[k] === BACKSLASH) k--;
        // An even run of backslashes before the quote escapes only itself: the string ends here.
        if ((end - 1 - k) % 2 === 0) break;
        end++;
      }
      if (depth === 1 && expectKey) {
        // An escaped top-level key might spell "batch"; rather than decode it, give up on the fast path.
        for (let k = i + 1; k < end; k++) if (body[k] === BACKSLASH) return undefined;
        keyIsBatch = end - i - 1 === 5 && body.toString('latin1', i + 1, end) === 'batch';
      }
      if (inBatch && depth === 2 && itemStart === -1) itemStart = i;
      lastSignificant = end;
      i = end + 1;
      continue;
    }
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (inBatch && depth === 2 && itemStart === -1) itemStart = i;
      if (depth === 1 && c === OPEN_BRACKET && keyIsBatch) {
        inBatch = true;
        spans = [];
        itemStart = -1;
      }
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (inBatch && depth === 2) {
        // The batch array closes: its last item (if any) ends at the last significant byte.
        if (itemStart !== -1) spans?.push(lastSignificant - itemStart + 1);
        inBatch = false;
        itemStart = -1;
      }
      depth--;
    } else if (c === COMMA) {
      if (inBatch && depth === 2) {
        spans?.push(lastSignificant - itemStart + 1);
        itemStart = -1;
      }
      if (depth === 1) expectKey = true;
    } else if (c === COLON) {
      if (depth === 1) expectKey = false;
    } else if (inBatch && depth === 2 && itemStart === -1) {
      itemStart = i; // a scalar item: number, true, false or null
    }
    lastSignificant = i;
    i++;
  }
  return spans;
}
