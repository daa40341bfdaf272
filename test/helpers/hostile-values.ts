/**
 * fast-check arbitraries for the bad-input property tests: the values a warehouse
 * can hand Sluice on a bad day. Shared by the mapping, codec and loader property tests so that every
 * stage is fed the same kinds of garbage.
 */
import fc from 'fast-check';

/**
 * The seed every property test runs with, so a failure reproduces on every machine. Set
 * SLUICE_FC_SEED to explore other seeds locally; fast-check prints the seed and path of any failure.
 */
export const PROPERTY_SEED = Number(process.env.SLUICE_FC_SEED ?? 20_250_601);

/**
 * fast-check's own report stringifies the counterexample recursively, which overflows the stack on
 * the deeply nested values these tests generate on purpose: report the seed, the path, a clipped
 * rendering and the cause instead.
 */
function report<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  let shown: string;
  try {
    shown = fc.stringify(details.counterexample);
  } catch {
    shown = '(too deeply nested to print: rerun with the seed and path)';
  }
  if (shown.length > 2_000) shown = `${shown.slice(0, 2_000)}… (${shown.length} characters)`;
  const cause = details.errorInstance;
  const error = new Error(
    `Property failed after ${details.numRuns} tests\n` +
      `{ seed: ${details.seed}, path: "${details.counterexamplePath}" }\n` +
      `Counterexample: ${shown}\n` +
      `Cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`,
  );
  throw error;
}

/** Runs a property with the shared seed and a bounded number of runs. */
export function checkProperty<T>(property: fc.IProperty<T>, numRuns = 200): void {
  fc.assert(property, { seed: PROPERTY_SEED, numRuns, reporter: report });
}

/**
 * Runs an async property with the shared seed and a bounded number of runs; `examples` always run
 * first (cases a few random runs might miss).
 */
export async function checkAsyncProperty<T>(
  property: fc.IAsyncProperty<T>,
  numRuns = 50,
  examples: T[] = [],
): Promise<void> {
  await fc.assert(property, {
    seed: PROPERTY_SEED,
    numRuns,
    examples,
    asyncReporter: async (d) => report(d),
  });
}

/** Any single UTF-16 code unit: NUL, control characters, lone surrogates, quotes, backslashes. */
export const codeUnit: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 0xffff })
  .map((n) => String.fromCharCode(n));

/** Characters chosen for what they cost or break: JSON escapes, multi-byte UTF-8, surrogates. */
export const nastyChar: fc.Arbitrary<string> = fc.constantFrom(
  '\u0000', // escaped as \u0000: 1 UTF-16 unit, 6 JSON bytes
  '\u001f',
  '"',
  '\\',
  '\n',
  '\u2028',
  'é', // 2 UTF-8 bytes
  '€', // 3 UTF-8 bytes
  '😀', // a surrogate pair: 4 UTF-8 bytes
  '👩‍👩‍👧', // a ZWJ sequence
  '\ud800', // a lone high surrogate
  '\udfff', // a lone low surrogate
  '\ufeff',
  '\ufffd',
  'x',
);

/** Short text of any code units and full code points. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: codeUnit, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: nastyChar, maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
);

/**
 * Huge text: one nasty character repeated to around Segment's 32 KB message limit, in bytes or in
 * JSON-escaped bytes, so that size checks are exercised on both sides of the boundary.
 */
export const hugeText: fc.Arbitrary<string> = fc
  .record({ char: nastyChar, length: fc.integer({ min: 5_000, max: 40_000 }) })
  .map(({ char, length }) => char.repeat(Math.max(1, Math.floor(length / char.length))));

/** Numbers JSON and JavaScript disagree about, or that round, overflow or lose their sign. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 63,
    -(2 ** 63),
    2 ** 53 + 2,
    1e21,
    -1e21,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    1e-7,
  ),
  fc.double(),
  fc.integer(),
);

/** Number-like text: integers past 2^53 as the sources send them, and text that only looks numeric. */
export const numericText: fc.Arbitrary<string> = fc.constantFrom(
  '9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
  '1e21',
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  ' 42 ',
);

/** Keys that hit Object.prototype, JSON or Sluice's own reserved names. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'toJSON',
    'library',
    '',
    '\u0000',
    '\ud800',
    'a.b',
    '[0]',
  ),
  hostileText,
);

/**
 * An object built from entries with every key an own data property: `{ __proto__: x }` in a literal
 * would set the prototype instead, and JSON.parse (how JSON columns arrive) makes own properties.
 */
export function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** A scalar of the value model, and the odd numbers it is not supposed to hold but might. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileText, weight: 4 },
  { arbitrary: oddNumber, weight: 3 },
  { arbitrary: numericText, weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 2 },
);

/** Nested objects and arrays of hostile keys and scalars, a few levels deep. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileScalar,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }).map(objectOf),
  ),
})).value;

/** An array or object nested `depth` levels deep: `[[[…]]]` or `{"a":{"a":…}}`. */
export function nested(depth: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** Deep nesting: from harmless to far deeper than JSON.stringify's recursion can follow. */
export const deepValue: fc.Arbitrary<unknown> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1_000, max: 20_000 })),
    kind: fc.constantFrom<'array' | 'object'>('array', 'object'),
  })
  .map(({ depth, kind }) => nested(depth, kind));

/** Anything a row cell could hold, hostile or huge or deep. */
export const anyCell: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileValue, weight: 6 },
  { arbitrary: hugeText, weight: 1 },
  { arbitrary: deepValue, weight: 1 },
);
