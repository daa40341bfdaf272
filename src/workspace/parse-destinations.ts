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
  const result = destinationType.parseConfig(raw);
  if (result.ok)
    return { type: destinationType.type, name: at[at.length - 1] as string, config: result.config };
  for (const problem of result.problems) {
    // The type's messages name the key themselves ("region must be …"); we add which entry.
    p.add([...at, ...problem.path], `${where(at)}: ${problem.message}`, problem.fix);
  }
  return undefined;
}
