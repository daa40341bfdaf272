import type { RunCounts } from '../core/run.js';
import { formatCount, type Io } from './output.js';

/**
 * A one-line live progress display on a TTY (stderr), redrawn at most ten times a second. The total
 * is unknown while rows stream, so it shows a moving bar of work done rather than a percentage.
 */
export class Progress {
  readonly #io: Io;
  readonly #label: string;
  readonly #enabled: boolean;
  #lastDraw = 0;
  #frame = 0;

  constructor(io: Io, label: string, enabled: boolean) {
    this.#io = io;
    this.#label = label;
    this.#enabled = enabled && io.stderr.isTTY === true;
  }

  update(counts: Readonly<RunCounts>): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#frame = (this.#frame + 1) % 10;
    const bar = '▁▂▃▄▅▆▇█▇▆'.slice(this.#frame) + '▁▂▃▄▅▆▇█▇▆'.slice(0, this.#frame);
    const sent = counts.succeeded + counts.failed;
    const text = `${bar} ${this.#label}: ${formatCount(counts.extracted)} read · ${formatCount(counts.planned)} planned · ${formatCount(sent)} sent`;
    const width = this.#io.stderr.columns ?? 100;
    this.#io.stderr.write(`\r${text.slice(0, width - 1).padEnd(width - 1)}`);
  }

  done(): void {
    if (!this.#enabled || this.#lastDraw === 0) return;
    const width = this.#io.stderr.columns ?? 100;
    this.#io.stderr.write(`\r${' '.repeat(width - 1)}\r`);
  }
}
