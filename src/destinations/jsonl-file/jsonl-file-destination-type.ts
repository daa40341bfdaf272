import type { DestinationType } from '../destination.js';
import { type JsonlFileDestinationConfig, parseJsonlFileConfig } from './jsonl-file-config.js';
import { JsonlFileDestination } from './jsonl-file-destination.js';
import { jsonlFileObjects } from './jsonl-file-objects.js';

/** A JSON-lines file (test and debugging destination, README.md here): its line in destinations/registry.ts. */
export const jsonlFileDestinationType: DestinationType<JsonlFileDestinationConfig> = Object.freeze({
  type: 'jsonl-file',
  parseConfig: parseJsonlFileConfig,
  objects: jsonlFileObjects,
  describe: (config: JsonlFileDestinationConfig) => `file ${config.path}`,
  create: (config: JsonlFileDestinationConfig) => new JsonlFileDestination(config),
});
