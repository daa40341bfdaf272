import { Pool } from 'undici';
import { SluiceError } from '../../core/errors.js';
import type { Secret } from '../../core/workspace.js';
import type { CheckResult, Exchange, SendOptions } from '../destination.js';
import { backoffDelay, DEFAULT_RETRY, type RetryOptions, sleep } from './backoff.js';
import { BodyBuffers, batchBody, batchBodyPrefix, writeBatchBody } from './batch-body.js';
import { classifyResponse } from './classify-response.js';
import { redactedExchange } from './exchange-report.js';
import { MAX_REQUEST_BYTES } from './segment-limits.js';

export interface SegmentClientOptions {
  /** Base URL without /v1 (SegmentDestinationConfig.endpoint). */
  endpoint: string;
  writeKey: Secret;
  /** Connections kept open to the endpoint. */
  concurrency: number;
  /** Per-request timeout: connecting, waiting for headers, and between body chunks. */
  timeoutMs: number;
  /** Sluice's version, for the User-Agent. */
  version: string;
  retry?: Partial<RetryOptions>;
}

/** What became of one `/v1/batch` request after its retries. A fatal answer throws instead. */
export type PostResult =
  | { kind: 'sent' }
  /** Segment refused the batch as a whole (400 and like): splitting it may isolate the culprit. */
  | { kind: 'rejected'; error: string }
  /** Every attempt failed in a retryable way; the messages are retried by a later run. */
  | { kind: 'exhausted'; error: string };

/** Connection failures that retrying will not fix within a run: the endpoint is wrong or down. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * Attempts before an unreachable host ends the run: enough to ride out a restart (a few seconds of
 * backoff), not the full budget — ten attempts would spend minutes failing every row.
 * The rows stay pending and the next run tries again.
 */
const UNREACHABLE_ATTEMPTS = 3;
/** analytics-node caps attempts at maxRetries + 20 when rate limits are not counted (§5). */
const RATE_LIMIT_EXTRA_ATTEMPTS = 20;
const MAX_ERROR_CHARS = 500;

/**
 * POSTs batches to `{endpoint}/v1/batch` (segment-contract.md §1) over a keep-alive undici Pool,
 * retrying per `classifyResponse` with analytics-node's backoff (§5). It never puts the write key in
 * an error: every text that leaves this class passes through `#redact`.
 */
export class SegmentClient {
  readonly #pool: Pool;
  readonly #url: string;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];
  readonly #retry: RetryOptions;
  readonly #fingerprint: string;
  readonly #timeoutMs: number;
  /** A 429 with Retry-After pauses every request of this client, like analytics-node (§5). */
  #pausedUntil = 0;
  /** Buffers the request bodies are written into, reused (batch-body.ts writeBatchBody). */
  readonly #bodies: BodyBuffers;

  constructor(options: SegmentClientOptions) {
    const base = new URL(options.endpoint);
    this.#path = `${base.pathname.replace(/\/+$/, '')}/v1/batch`;
    this.#url = `${base.origin}${this.#path}`;
    this.#pool = new Pool(base.origin, {
      connections: options.concurrency,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
    });
    const key = options.writeKey.reveal();
    // §1 "auth (a)": Basic with the key as user name and an empty password (the colon included).
    const basic = Buffer.from(`${key}:`).toString('base64');
    this.#headers = {
      'content-type': 'application/json',
      authorization: `Basic ${basic}`,
      'user-agent': `sluice/${options.version}`,
    };
    this.#secrets = [key, basic].filter((s) => s.length > 0);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#fingerprint = options.writeKey.fingerprint();
    this.#timeoutMs = options.timeoutMs;
    this.#bodies = new BodyBuffers(MAX_REQUEST_BYTES, options.concurrency);
  }

  /** The batch URL, safe to show (it holds no credentials). */
  get url(): string {
    return this.#url;
  }

  /**
   * Sends one batch until it is accepted, rejected, or the retry budget is spent. Throws
   * SluiceError('destination_fatal') for an answer no retry can fix (401/403/404, see
   * classify-response.ts) and when the host stays unreachable, so a run ends instead of failing
   * every row; SluiceError('interrupted') when `signal` aborts. `onRetry` hears of each wait
   * before a retry (what failed, and for how long), for progress reports; `onExchange` of each
   * attempt's request and answer, redacted here (exchange-report.ts) before it leaves the client.
   */
  async post(
    messages: readonly { json: string; bytes?: number }[],
    options?: SendOptions,
  ): Promise<PostResult> {
    const signal = options?.signal;
    const onRetry = options?.onRetry;
    const onExchange = options?.onExchange;
    let counted = 0;
    let total = 0;
    for (;;) {
      await this.#waitForRateLimit(signal);
      let lastError: string;
      let afterMs: number | undefined;
      let rateLimited = false;
      let unreachable = false;
      // undici's own timeouts tick coarsely; a timer signal makes `timeout_ms` hold to the ms.
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const headers = total === 0 ? this.#headers : { ...this.#headers, 'x-retry-count': String(total) };
      total++;
      const sentAt = new Date().toISOString();
      const buffer = this.#bodies.take();
      const body = writeBatchBody(messages, sentAt, buffer);
      // The inspector's copy of the body as text, made only if an observer reads it (the sampler
      // reads a few in a hundred): the messages hold it already.
      const bodyText = () => batchBody(batchBodyPrefix(messages), sentAt);
      const started = onExchange ? performance.now() : 0;
      try {
        const response = await this.#pool.request({
          method: 'POST',
          path: this.#path,
          headers,
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const text = await response.body.text();
        const status = response.statusCode;
        if (onExchange) {
          observe(
            onExchange,
            redactedExchange(this.#redactor, this.#url, headers, bodyText, started, total, {
              status,
              responseHeaders: response.headers,
              responseBody: text,
            }),
          );
        }
        const verdict = classifyResponse(status, response.headers);
        if (verdict.kind === 'sent') {
          this.#bodies.giveBack(buffer);
          return { kind: 'sent' };
        }
        if (verdict.kind === 'reject') return { kind: 'rejected', error: this.#answer(status, text) };
        if (verdict.kind === 'fatal') {
          throw new SluiceError('destination_fatal', this.#redact(`${this.#url}: ${verdict.message}`), {
            details: { status, answer: truncate(this.#redact(text)) },
          });
        }
        lastError = this.#answer(status, text);
        afterMs = verdict.afterMs;
        rateLimited = status === 429 && afterMs !== undefined;
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        if (onExchange) {
          const why = timeout.aborted
            ? `no answer within ${this.#timeoutMs} ms`
            : describeError(error, errorCode(error));
          observe(
            onExchange,
            redactedExchange(this.#redactor, this.#url, headers, bodyText, started, total, { error: why }),
          );
        }
        if (signal?.aborted)
          throw new SluiceError('interrupted', 'sending to Segment was interrupted', { cause: error });
        const code = errorCode(error);
        unreachable = code !== undefined && UNREACHABLE.has(code);
        lastError = timeout.aborted
          ? `no answer within ${this.#timeoutMs} ms (timeout_ms)`
          : this.#redact(describeError(error, code));
      }
      // Rate limits with Retry-After are Segment pacing us, not failures: analytics-node does not
      // count them against maxRetries, only against a hard cap (segment-contract.md §5).
      if (!rateLimited) counted++;
      if (
        counted >= this.#retry.maxAttempts ||
        total >= this.#retry.maxAttempts + RATE_LIMIT_EXTRA_ATTEMPTS ||
        (unreachable && counted >= UNREACHABLE_ATTEMPTS)
      ) {
        const error = `${lastError} (after ${total} attempt${total === 1 ? '' : 's'})`;
        if (unreachable) {
          throw new SluiceError(
            'destination_fatal',
            `cannot reach ${this.#url}: ${error}; check that endpoint/region is right and the host is up`,
          );
        }
        return { kind: 'exhausted', error };
      }
      if (rateLimited) {
        this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + afterMs!);
        onRetry?.({ error: lastError, delayMs: afterMs!, attempt: total });
      } else {
        const delayMs = afterMs ?? backoffDelay(counted, this.#retry);
        onRetry?.({ error: lastError, delayMs, attempt: total });
        await this.#sleep(delayMs, signal);
      }
    }
  }

  /**
   * Sends an empty batch, which delivers nothing anywhere, and reports what the answer proves.
   * Never throws; never shows the key, only its fingerprint.
   */
  async check(): Promise<CheckResult> {
    const notes: string[] = [];
    let ok = false;
    const started = performance.now();
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: this.#headers,
        body: '{"batch":[]}',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.body.text();
      const ms = Math.round(performance.now() - started);
      const verdict = classifyResponse(response.statusCode, response.headers);
      ok = verdict.kind === 'sent';
      notes.push(
        `POST ${this.#url} with an empty batch (delivers nothing) answered HTTP ${response.statusCode} in ${ms} ms`,
      );
      if (verdict.kind === 'fatal') notes.push(this.#redact(verdict.message));
      else if (!ok) notes.push(this.#answer(response.statusCode, text));
    } catch (error) {
      notes.push(`cannot reach ${this.#url}: ${this.#redact(describeError(error, errorCode(error)))}`);
    }
    // segment-contract.md §1 "401/403": Segment's edge does not validate keys.
    notes.push(
      `write key ${this.#fingerprint}: Segment answers 200 to any write key, even a wrong one, so this proves the endpoint is reachable, not that the key is right; only a delivered message (visible in the source's debugger) proves the key`,
    );
    return { ok, notes };
  }

  async close(): Promise<void> {
    if (!this.#pool.closed) await this.#pool.close();
  }

  async #waitForRateLimit(signal?: AbortSignal): Promise<void> {
    for (let wait = this.#pausedUntil - Date.now(); wait > 0; wait = this.#pausedUntil - Date.now()) {
      await this.#sleep(wait, signal);
    }
  }

  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (error) {
      throw new SluiceError('interrupted', 'sending to Segment was interrupted', { cause: error });
    }
  }

  /**
   * "HTTP 503: <answer>" with any trace of the key removed, then truncated: clipping first could cut
   * a quoted key in two and leave its first part, which redaction no longer recognises.
   */
  #answer(status: number, text: string): string {
    const body = this.#redact(text.trim());
    return body ? `HTTP ${status}: ${truncate(body)}` : `HTTP ${status}`;
  }

  /** `#redact` as a function, for exchange-report.ts. */
  readonly #redactor = (text: string): string => this.#redact(text);

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.replaceAll(secret, '[secret]');
    return out;
  }
}

/**
 * Hands an exchange to the observer. An observer that throws is ignored: watching the traffic must
 * never change what is delivered, nor turn an answered request into a retried one.
 */
function observe(onExchange: (exchange: Exchange) => void, exchange: Exchange): void {
  try {
    onExchange(exchange);
  } catch {
    // The inspector's own failure; delivery goes on as if nobody watched.
  }
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/** The system or undici error code, looking into `cause` and AggregateError (happy eyeballs). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof code === 'string') return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return undefined;
}

function describeError(error: unknown, code: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message || (code ?? 'network error');
}
