/**
 * Makes `@duckdb/node-api` give strings byte for byte. The driver decodes every VARCHAR it hands out
 * through `DuckDBVector#getItem` (strings inside LIST, STRUCT, MAP, UNION and VARIANT values, and
 * every string when the raw bindings are missing) with one module-level `new TextDecoder()`, whose
 * default `ignoreBOM: false` drops a leading U+FEFF: "\uFEFFbom-key" would arrive as "bom-key" and
 * collide with it. That decoder is a writable export of the driver's `lib/vectors/dataAccessors.js`
 * (1.5.x), read on each call, so replacing it with one that keeps the mark fixes every path at once.
 * The same module instance serves `import('@duckdb/node-api')`, which loads it through require.
 */
import { createRequire } from 'node:module';

let applied: boolean | undefined;

/**
 * Replaces the driver's string decoder with one that keeps a leading byte order mark (once per
 * process; later calls return the first answer). False when the driver's layout is not the one
 * expected: nested strings then lose a leading U+FEFF (duckdb-driver-strings.test.ts fails first).
 */
export function keepDriverByteOrderMarks(): boolean {
  if (applied === undefined) applied = apply();
  return applied;
}

function apply(): boolean {
  try {
    const api = createRequire(import.meta.url).resolve('@duckdb/node-api');
    const accessors = createRequire(api)('./vectors/dataAccessors.js') as { textDecoder?: unknown };
    if (!(accessors.textDecoder instanceof TextDecoder)) return false;
    accessors.textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
    return true;
  } catch {
    return false;
  }
}
