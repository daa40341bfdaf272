/** Fault injection settings; rates are probabilities from 0 to 1, decided once per ingest request. */
export interface FaultSettings {
  /** Answer `failStatus` without processing. */
  failRate?: number;
  /** Answer 429 with `Retry-After`/`X-RateLimit-Reset` without processing. */
  rateLimitRate?: number;
  /** Seconds put in `Retry-After` and `X-RateLimit-Reset` (default 1). */
  retryAfterSeconds?: number;
  /** Process the request (messages are stored), then destroy the socket without answering. */
  dropRate?: number;
  /** Delay every ingest answer (faulty or not) by this many ms. */
  latencyMs?: number;
  /** PRNG seed, so a test sees the same sequence of faults on every run (default 1). */
  seed?: number;
  /** Status for `failRate` answers (default 500). */
  failStatus?: number;
}

/** What happens to one ingest request: nothing, an injected error, a 429, or a lost answer. */
export type FaultDecision = 'none' | 'fail' | 'rate_limit' | 'drop';

/** mulberry32: tiny, fast, and good enough to spread faults; reproducible from a 32-bit seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rate(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

/**
 * Decides each ingest request's fault. Exactly one PRNG draw per request, so the sequence of
 * decisions depends only on the seed and the request order, never on which rates are set. The draw
 * falls into consecutive slices of [0, 1): fail, then rate limit, then drop; so each rate is the
 * probability of that outcome (when they sum past 1, the later ones get what is left).
 */
export class FaultInjector {
  #settings: FaultSettings = {};
  #seed = 1;
  #random: () => number = mulberry32(1);

  constructor(settings: FaultSettings | undefined) {
    this.configure(settings);
  }

  /**
   * Replaces the settings. Giving a `seed` restarts the sequence from it; without one the sequence
   * carries on, so changing only a rate mid-test does not replay earlier decisions.
   */
  configure(settings: FaultSettings | undefined): void {
    this.#settings = { ...(settings ?? {}) };
    if (this.#settings.seed !== undefined) {
      this.#seed = this.#settings.seed;
      this.restart();
    }
  }

  /** Restarts the sequence from the last seed given (used by `reset()`). */
  restart(): void {
    this.#random = mulberry32(this.#seed);
  }

  get settings(): Readonly<FaultSettings> {
    return this.#settings;
  }

  get latencyMs(): number {
    const ms = this.#settings.latencyMs;
    return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : 0;
  }

  get retryAfterSeconds(): number {
    const s = this.#settings.retryAfterSeconds;
    return s !== undefined && Number.isFinite(s) && s >= 0 ? s : 1;
  }

  get failStatus(): number {
    const status = this.#settings.failStatus;
    return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  }

  decide(): FaultDecision {
    const draw = this.#random();
    let edge = rate(this.#settings.failRate);
    if (draw < edge) return 'fail';
    edge += rate(this.#settings.rateLimitRate);
    if (draw < edge) return 'rate_limit';
    edge += rate(this.#settings.dropRate);
    if (draw < edge) return 'drop';
    return 'none';
  }
}
