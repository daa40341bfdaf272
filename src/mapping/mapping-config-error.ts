import { ConfigError, type ConfigProblem } from '../core/errors.js';

/**
 * A sync's mappings that cannot work: unparsable paths or templates, two mappings to one path, a field
 * mapped under a value that can never be an object. Carries every problem at once (SPEC §1: `sluice
 * check` reports all, not the first), each with the sluice.yaml line of the mapping at fault.
 * A ConfigError, so code `config_invalid` (exit 2).
 */
export class MappingConfigError extends ConfigError {
  constructor(problems: ConfigProblem[]) {
    super(problems);
    this.name = 'MappingConfigError';
  }
}
