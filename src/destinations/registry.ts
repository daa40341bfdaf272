import type { DestinationType } from './destination.js';
import { jsonlFileDestinationType } from './jsonl-file/jsonl-file-destination-type.js';
import { segmentDestinationType } from './segment/segment-destination-type.js';

/**
 * Every destination type Sluice knows, by its `type:` in sluice.yaml. This is the one file that
 * names implementations: adding a destination is its folder and one line here (ARCHITECTURE.md).
 */
export const destinationTypes: Readonly<Record<string, DestinationType>> = Object.freeze({
  segment: segmentDestinationType as DestinationType,
  'jsonl-file': jsonlFileDestinationType as DestinationType,
});

/** The destination type for a `type:` value, or undefined when Sluice has none by that name. */
export function destinationType(name: string): DestinationType | undefined {
  return Object.hasOwn(destinationTypes, name) ? destinationTypes[name] : undefined;
}
