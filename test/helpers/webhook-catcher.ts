import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../src/observe/standard-webhooks.js';

/** One request the catcher received, as it arrived. */
export interface CaughtRequest {
  method: string;
  /** The path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived. */
  at: Date;
  /** The status the catcher answered. */
  status: number;
  /**
   * For a catcher given a secret: whether the Standard Webhooks signature verified (by our own
   * verifyWebhook), or why not.
   */
  verified?: true | string;
}

/**
 * A webhook receiver on loopback for tests (SPEC §7): records every request, checks signatures when
 * given the secret, answers 2xx, or 500 for the next N requests when told to fail.
 */
export class WebhookCatcher {
  /** Requests answered, in order. */
  readonly requests: CaughtRequest[] = [];
  /** Requests received, answered or not yet (see delayAnswers). */
  arrived = 0;
  readonly #server: Server;
  readonly #secret: string | undefined;
  #failNext = 0;
  #failStatus = 500;
  #delayMs = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(server: Server, secret: string | undefined) {
    this.#server = server;
    this.#secret = secret;
  }

  /** Starts a catcher on 127.0.0.1 and a free port. */
  static async start(options: { secret?: string } = {}): Promise<WebhookCatcher> {
    const server = createServer();
    const catcher = new WebhookCatcher(server, options.secret);
    server.on('request', (request, response) => {
      catcher.arrived++;
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = catcher.#failNext > 0 ? catcher.#failStatus : 204;
        if (catcher.#failNext > 0) catcher.#failNext--;
        const caught: CaughtRequest = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body,
          at: new Date(),
          status,
          ...(catcher.#secret === undefined ? {} : { verified: catcher.#verify(body, request.headers) }),
        };
        const answer = () => {
          catcher.requests.push(caught);
          response.writeHead(status).end();
          catcher.#wake();
        };
        if (catcher.#delayMs > 0) setTimeout(answer, catcher.#delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return catcher;
  }

  /** The base URL, e.g. http://127.0.0.1:54321. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Answers `status` (default 500) to the next `count` requests. */
  failNext(count: number, status = 500): void {
    this.#failNext = count;
    this.#failStatus = status;
  }

  /** Holds every answer this long (to exceed a client's timeout). */
  delayAnswers(ms: number): void {
    this.#delayMs = ms;
  }

  /** Resolves once `count` requests in all have been answered, or fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5_000): Promise<CaughtRequest[]> {
    if (this.requests.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} requests, got ${this.requests.length}`)),
          timeoutMs,
        );
        this.#waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.requests;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #verify(body: string, headers: IncomingHttpHeaders): true | string {
    try {
      verifyWebhook(body, headers, this.#secret!);
      return true;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.requests.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }
}
