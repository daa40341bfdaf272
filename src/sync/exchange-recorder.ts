import type { Exchange } from '../destinations/destination.js';
import type { StateStore, StoredExchange } from '../state/state-store.js';
import { ExchangeSampler } from './exchange-sampler.js';
import { describeError } from './stop-signals.js';

/**
 * Keeps a run's HTTP exchanges for the inspector: each one is sampled as it happens
 * (exchange-sampler.ts) and the kept ones are written `batchSize` at a time, in the background.
 * The run never waits on the inspector before `flush` at its end, and a failure to record is one
 * warning, never the run's failure.
 */
export class ExchangeRecorder {
  readonly #state: StateStore;
  readonly #runId: string;
  readonly #sync: string;
  readonly #sampler: ExchangeSampler;
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #now: () => Date;
  readonly #batchSize: number;
  #buffer: StoredExchange[] = [];
  #writing: Promise<void> = Promise.resolve();
  #warned = false;

  constructor(options: {
    state: StateStore;
    runId: string;
    sync: string;
    onWarning?: (message: string) => void;
    now?: () => Date;
    sampler?: ExchangeSampler;
    batchSize?: number;
  }) {
    this.#state = options.state;
    this.#runId = options.runId;
    this.#sync = options.sync;
    this.#onWarning = options.onWarning;
    this.#now = options.now ?? (() => new Date());
    this.#sampler = options.sampler ?? new ExchangeSampler();
    this.#batchSize = options.batchSize ?? 20;
  }

  /** Told of every exchange (observed-destination.ts): samples it, and writes a full buffer. */
  take(exchange: Exchange): void {
    const kept = this.#sampler.take(exchange, this.#now());
    if (kept === null) return;
    this.#buffer.push(kept);
    if (this.#buffer.length >= this.#batchSize) this.#write();
  }

  /** Writes what is buffered and waits for every write; never throws. */
  async flush(): Promise<void> {
    this.#write();
    await this.#writing;
  }

  #write(): void {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#writing = this.#writing
      .then(() => this.#state.exchanges.record(this.#runId, batch))
      .catch((error: unknown) => this.#warn(error));
  }

  #warn(error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#onWarning?.(
      `warning: sync "${this.#sync}": the inspector could not keep this run's HTTP exchanges (${describeError(error).message}); the run goes on`,
    );
  }
}
