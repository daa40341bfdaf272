import type { DestinationType } from '../destination.js';
import { parseSegmentConfig, type SegmentDestinationConfig } from './segment-config.js';
import { createSegmentDestination } from './segment-destination.js';
import { segmentObjects } from './segment-objects.js';

/** Segment (identify, group, track over the HTTP Tracking API): its line in destinations/registry.ts. */
export const segmentDestinationType: DestinationType<SegmentDestinationConfig> = Object.freeze({
  type: 'segment',
  parseConfig: parseSegmentConfig,
  objects: segmentObjects,
  describe: (config: SegmentDestinationConfig) => `write key ${config.writeKey.fingerprint()}`,
  create: (config: SegmentDestinationConfig, context: { version: string }) =>
    createSegmentDestination(config, { version: context.version }),
});
