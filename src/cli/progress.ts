import type { RetryStatus, RunCounts } from '../index.js';
import { formatCount, type Io } from './output.js';

/** How often a line is written when stderr is not a terminal (a log file, CI, a pipe). */
const LINE_EVERY_MS = 5_000;

/**
 * A run's progress on stderr, on every kind of output (SPEC §4). On a TTY, one line redrawn at most
 * ten times a second: the total is unknown while rows stream, so it shows a moving bar of work done
 * rather than a percentage. Elsewhere, a plain line every few seconds — also while nothing moves,
 * which is when a person watching a CI log most needs one (batches waiting on retries, and why).
 */
export class Progress {
  readonly #io: Io;
  readonly #label: string;
  readonly #tty: boolean;
  readonly #lineEveryMs: number;
  #counts: Readonly<RunCounts> | null = null;
  #retrying: RetryStatus | null = null;
  #lastDraw = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(io: Io, label: string, options: { lineEveryMs?: number } = {}) {
    this.#io = io;
    this.#label = label;
    this.#tty = io.stderr.isTTY === true;
    this.#lineEveryMs = options.lineEveryMs ?? LINE_EVERY_MS;
  }

  /** Starts the periodic lines (not on a TTY, where updates redraw). */
  start(): void {
    if (this.#tty || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#writeLine(), this.#lineEveryMs);
    this.#timer.unref();
  }

  update(counts: Readonly<RunCounts>, retrying: RetryStatus | null = null): void {
    this.#counts = counts;
    this.#retrying = retrying;
    if (!this.#tty) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#frame = (this.#frame + 1) % 10;
    const bar = '▁▂▃▄▅▆▇█▇▆'.slice(this.#frame) + '▁▂▃▄▅▆▇█▇▆'.slice(0, this.#frame);
    const width = this.#io.stderr.columns ?? 100;
    this.#io.stderr.write(`\r${`${bar} ${this.#text()}`.slice(0, width - 1).padEnd(width - 1)}`);
  }

  done(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#tty || this.#lastDraw === 0) return;
    const width = this.#io.stderr.columns ?? 100;
    this.#io.stderr.write(`\r${' '.repeat(width - 1)}\r`);
    this.#lastDraw = 0;
  }

  #writeLine(): void {
    this.#io.stderr.write(`${this.#text()}\n`);
  }

  #text(): string {
    const c = this.#counts;
    let text =
      c === null
        ? `${this.#label}: starting`
        : `${this.#label}: ${formatCount(c.extracted)} read · ${formatCount(c.planned)} planned · ${formatCount(c.succeeded)} delivered · ${formatCount(c.failed + c.abandoned)} failed`;
    const r = this.#retrying;
    if (r !== null) {
      const wait =
        r.nextTryInMs > 0 ? `next try in ${Math.ceil(r.nextTryInMs / 1000)} s` : 'trying again now';
      text += ` · retrying ${formatCount(r.batches)} batch${r.batches === 1 ? '' : 'es'}: ${r.reason}, ${wait}`;
    }
    return text;
  }
}
