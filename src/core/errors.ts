/**
 * The one error family. Every error Sluice raises on purpose is a SluiceError with a stable `code`;
 * the CLI (cli/exit-codes.ts) and the API map codes to exit codes and HTTP statuses in one place each.
 */
export type ErrorCode =
  /** The workspace file or the command line is invalid (exit 2). */
  | 'config_invalid'
  /** A source could not be reached, refused the credentials, or failed running the model (exit 1). */
  | 'source_error'
  /** The destination refused the whole run: bad credentials, wrong endpoint, refused connection (exit 1). */
  | 'destination_fatal'
  /** The state store failed or holds something we cannot read (exit 1). */
  | 'state_error'
  /** Another run of the same sync holds the lock (exit 1). */
  | 'sync_locked'
  /** The user asked for something the sync does not allow, e.g. --full-resync on an event sync (exit 2). */
  | 'usage'
  /** Not found: an unknown sync, run id, … (exit 2). */
  | 'not_found'
  /** What was asked to be made exists already, e.g. an API token of that name (exit 2). */
  | 'conflict'
  /** The run was stopped by a signal (exit 1). */
  | 'interrupted'
  /** The run asked about has ended already, or was started elsewhere: it cannot be cancelled or started (exit 1). */
  | 'run_finished';

/** One located problem in a workspace file. `line` is 1-based; 0 when no position is known. */
export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
  fix?: string;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  /**
   * The located problems behind this error, one per line of the workspace or a model file (empty
   * when the error is not about them): `--json` prints them as `error.problems` (SPEC §4).
   */
  readonly problems: readonly ConfigProblem[];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; problems?: readonly ConfigProblem[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
    this.problems = Object.freeze((options?.problems ?? []).map((p) => Object.freeze({ ...p })));
  }
}

/** A workspace that failed to load: carries every problem found, not just the first. */
export class ConfigError extends SluiceError {
  constructor(problems: ConfigProblem[]) {
    super('config_invalid', formatProblems(problems), { problems });
    this.name = 'ConfigError';
  }
}

/** `sluice.yaml:12: unknown key "sorce" — did you mean "source"?` one per line. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.message}${p.fix ? ` — ${p.fix}` : ''}`)
    .join('\n');
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}
