import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** The result of one in-process CLI call. */
export interface CliResult {
  code: number;
  stdout: string;
  /**
   * stderr without the periodic progress lines (written every 5 s when stderr is not a terminal):
   * whether a run takes long enough to print one depends on the machine's load, not on Sluice.
   * Tests of progress itself spawn the CLI (helpers/spawn-cli.ts) and see every line.
   */
  stderr: string;
  /** stdout parsed as JSON (throws if it is not exactly one JSON document). */
  json<T = unknown>(): T;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * A periodic progress line (cli/progress.ts): `users: 2,000 read · 2,000 planned · …`, or
 * `users: starting` before the first batch is counted.
 */
const PROGRESS_LINE = /^[^\n:]+: (?:[\d,]+ read · [^\n]*|starting(?: · [^\n]*)?)\n/gm;

/** `text` without the periodic progress lines, which a loaded machine prints and an idle one does not. */
export function withoutProgress(text: string): string {
  return text.replace(PROGRESS_LINE, '');
}

/** Runs `sluice ARGS…` in this process, as a user would type it, capturing stdout and stderr. */
export async function sluice(...args: string[]): Promise<CliResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(['node', 'sluice', ...args], { stdout, stderr });
  return {
    code,
    stdout: stdout.text,
    stderr: withoutProgress(stderr.text),
    json<T>() {
      return JSON.parse(stdout.text) as T;
    },
  };
}
