import { ConfigError, type ConfigProblem } from '../core/errors.js';

/**
 * The located problems `load` refuses a workspace with; fails the test when it loads instead, or
 * throws anything but a ConfigError.
 */
export function configProblems(load: () => unknown): ConfigProblem[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected problems');
}
