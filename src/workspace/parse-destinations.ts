import type { DestinationConfig } from '../core/workspace.js';
import type { DestinationType } from '../destinations/destination.js';
import { suggest } from './did-you-mean.js';
import { isMapping, own, type Problems, parseEntry, where } from './problems.js';
import type { Path } from './yaml-tree.js';

/** The destination types the loader knows: the registry's, or a test's own list. */
export interface DestinationTypes {
  get(type: string): DestinationType | undefined;
  readonly names: readonly string[];
}

/** A lookup over a plain list of destination types. */
export function destinationTypesOf(list: readonly DestinationType[]): DestinationTypes {
  return {
    get: (type) => list.find((t) => t.type === type),
    names: list.map((t) => t.type),
  };
}

/** The type named by a `destinations.<name>` entry, if it names a known one (no problems reported). */
export function typeOfEntry(raw: unknown, types: DestinationTypes): DestinationType | undefined {
  const type = isMapping(raw) ? own(raw, 'type') : undefined;
  return typeof type === 'string' ? types.get(type) : undefined;
}

/**
 * Validates one `destinations.<name>` entry by handing it (after `${VAR}` interpolation) to its
 * type's own `parseConfig`, and pins each problem it returns to the line of the key it names.
 */
export function parseDestination(
  p: Problems,
  at: Path,
  raw: unknown,
  types: DestinationTypes,
): DestinationConfig | undefined {
  if (!isMapping(raw)) {
    parseEntry(p, at, {}, raw); // reports "must be a mapping"
    return undefined;
  }
  const type = own(raw, 'type');
  if (type === undefined) {
    p.add(at, `${where(at)} has no type`, `add type: one of ${types.names.join(', ')}`);
    return undefined;
  }
  const destinationType = typeof type === 'string' ? types.get(type) : undefined;
  if (destinationType === undefined) {
    p.add(
      [...at, 'type'],
      `${where(at)} has unknown type ${p.show([...at, 'type'], type)}`,
      suggest(String(type), types.names, 'no destination types are installed'),
    );
    return undefined;
  }
  // rate_limit is Sluice's, not the type's: every destination type takes it.
  const { rate_limit: rawRateLimit, ...typed } = raw as Record<string, unknown>;
  const rateLimit =
    rawRateLimit === undefined ? undefined : parseRateLimit(p, [...at, 'rate_limit'], rawRateLimit);
  const result = destinationType.parseConfig(typed);
  if (result.ok && rateLimit !== null) {
    return {
      type: destinationType.type,
      name: at[at.length - 1] as string,
      config: result.config,
      ...(rateLimit === undefined ? {} : { rateLimit }),
    };
  }
  if (result.ok) return undefined;
  for (const problem of result.problems) {
    // The type's messages name the key themselves ("region must be …"); we add which entry.
    p.add([...at, ...problem.path], `${where(at)}: ${problem.message}`, problem.fix);
  }
  return undefined;
}

/**
 * The fewest messages a second a rate limit may allow: one message of each second's budget is kept
 * as the burst a request may carry, and at least one more must refill (sync/rate-limited-destination.ts).
 */
const MIN_RATE = 2;

/**
 * `rate_limit: 1000/s` → 1000 messages a second; null (with a problem reported) when it is not a
 * whole number of at least MIN_RATE followed by `/s`.
 */
function parseRateLimit(p: Problems, at: Path, raw: unknown): { perSecond: number } | null {
  const match = typeof raw === 'string' ? /^\s*(\d+)\s*\/\s*s\s*$/.exec(raw) : null;
  const perSecond = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(perSecond) || perSecond < MIN_RATE) {
    p.add(
      at,
      `${where(at.slice(0, -1))}: rate_limit must be messages a second, like 1000/s (at least ${MIN_RATE}/s), not ${p.show(at, raw)}`,
      'write it as N/s, e.g. rate_limit: 1000/s (Segment admits about 1,000 events a second per workspace)',
    );
    return null;
  }
  return { perSecond };
}
