import { CommanderError } from 'commander';
import { type ConfigProblem, isSluiceError } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { type Io, printJson } from './output.js';

/** What `--json` prints on stdout when a command fails (SPEC §4): one document, nothing else. */
export interface ErrorDocument {
  error: { code: string; message: string; problems: ConfigProblem[] };
}

/**
 * Reports an error that ended a command and returns its exit code. People get text on stderr (each
 * problem on its own line); with `json`, stdout also gets one {@link ErrorDocument}, so a script
 * that asked for JSON always receives JSON.
 */
export function reportError(error: unknown, io: Io, json: boolean): number {
  const { document, exitCode, text } = describe(error);
  if (text !== '') io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  if (json) printJson(io, document);
  return exitCode;
}

function describe(error: unknown): { document: ErrorDocument; exitCode: number; text: string } {
  if (error instanceof CommanderError) {
    // Commander has already written its message (and the help) to stderr.
    const message = error.message.replace(/^error: /, '');
    return { document: doc('usage', message), exitCode: EXIT.invalid, text: '' };
  }
  if (isSluiceError(error)) {
    const problems = [...error.problems];
    const count = problems.length;
    const text =
      error.code === 'config_invalid' && count > 0
        ? `${error.message}\n${count} problem${count === 1 ? '' : 's'} in the workspace.`
        : `error [${error.code}]: ${error.message}`;
    return { document: doc(error.code, error.message, problems), exitCode: exitCodeFor(error.code), text };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    document: doc('internal', message),
    exitCode: EXIT.runFailed,
    text: `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  };
}

function doc(code: string, message: string, problems: ConfigProblem[] = []): ErrorDocument {
  return { error: { code, message, problems } };
}
