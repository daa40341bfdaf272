import type { ErrorCode } from '../core/errors.js';

/** SPEC §4 exit codes, and the one place error codes map onto them. */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  invalid: 2,
  strict: 3,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  config_invalid: EXIT.invalid,
  usage: EXIT.invalid,
  not_found: EXIT.invalid,
  conflict: EXIT.invalid,
  source_error: EXIT.runFailed,
  destination_fatal: EXIT.runFailed,
  state_error: EXIT.runFailed,
  sync_locked: EXIT.runFailed,
  interrupted: EXIT.runFailed,
  run_finished: EXIT.runFailed,
};

export function exitCodeFor(code: string): number {
  return (BY_CODE as Record<string, number>)[code] ?? EXIT.runFailed;
}
