import { type ServerSentEvent, SseParser } from '../lib/sse';
import type { components, paths } from './openapi.gen';

/** The API's documents, as its OpenAPI document names them (openapi.gen.ts is generated from it). */
export type Schemas = components['schemas'];
export type SyncOverview = Schemas['SyncOverview'];
export type Sync = Schemas['Sync'];
export type Run = Schemas['Run'];
export type RunCounts = Schemas['RunCounts'];
export type RecordDocument = Schemas['Record'];
export type KeyHistory = Schemas['KeyHistory'];
export type Caller = Schemas['Caller'];
export type Exchange = Schemas['Exchange'];
export type Alert = Schemas['Alert'];
export type NotifyTarget = Schemas['NotifyTarget'];
export type RecordStatus = RecordDocument['status'];

/** Every route answering GET with JSON, and what it answers and takes. */
type JsonGet = {
  [P in keyof paths]: paths[P] extends {
    get: { responses: { 200: { content: { 'application/json': unknown } } } };
  }
    ? P
    : never;
}[keyof paths];
type GetAnswer<P extends JsonGet> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;
type GetParameters<P extends JsonGet> = paths[P] extends { get: { parameters: infer Q } } ? Q : never;
type PathOf<Q> = Q extends { path: infer V } ? V : never;
type QueryOf<Q> = Q extends { query?: infer V } ? V : never;

/** What a failed call says, worded for the person at the screen: what happened and what to do. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

function advice(status: number, code: string, message: string): string {
  if (status === 0)
    return `Cannot reach sluice serve (${message}). Check that it is running, then try again.`;
  if (status === 401) return 'The API token was refused. Sign in again with a valid token.';
  if (status === 403) return `${message}. Ask an admin for a token with that role.`;
  if (status === 404) return `${message}. It may have been removed from sluice.yaml or pruned.`;
  if (status === 409 && code === 'sync_locked')
    return `${message}. Wait for that run to finish, then try again.`;
  if (status >= 500) return `sluice serve failed to answer (${message}). Its log says why; try again.`;
  return message;
}

function fill(template: string, params: Record<string, string> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''));
}

function search(query: Record<string, unknown> | undefined): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}`;
}

/** Calls the API of the `sluice serve` that served this page, with the signed-in token. */
export class ApiClient {
  constructor(
    readonly token: string,
    /** Told when the token is refused (401), so the app can ask for another. */
    readonly onUnauthorized: () => void = () => {},
  ) {}

  async get<P extends JsonGet>(
    path: P,
    params: { path?: PathOf<GetParameters<P>>; query?: QueryOf<GetParameters<P>> } = {},
    signal?: AbortSignal,
  ): Promise<GetAnswer<P>> {
    const url = fill(path, params.path as Record<string, string> | undefined) + search(params.query as never);
    return (await this.#send('GET', url, undefined, signal)) as GetAnswer<P>;
  }

  me(signal?: AbortSignal): Promise<Caller> {
    return this.get('/api/v1/me', {}, signal);
  }

  async requestRun(sync: string, body: Schemas['RunRequest']): Promise<Schemas['RunQueued']> {
    return (await this.#send(
      'POST',
      fill('/api/v1/syncs/{name}/runs', { name: sync }),
      body,
    )) as Schemas['RunQueued'];
  }

  async cancelRun(id: string): Promise<Run> {
    return (await this.#send('POST', fill('/api/v1/runs/{id}/cancel', { id }), undefined)) as Run;
  }

  /**
   * Follows `/runs/{id}/events` until its summary (or `signal` aborts): `progress` events carry
   * RunCounts, `summary` the finished Run.
   */
  async followRun(id: string, onEvent: (event: ServerSentEvent) => void, signal: AbortSignal): Promise<void> {
    const response = await this.#fetch('GET', fill('/api/v1/runs/{id}/events', { id }), undefined, signal);
    if (!response.ok || response.body === null) throw await this.#failure(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const event of parser.push(value)) onEvent(event);
      }
    } finally {
      reader.releaseLock();
    }
  }

  async #send(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const response = await this.#fetch(method, url, body, signal);
    if (!response.ok) throw await this.#failure(response);
    return response.json();
  }

  async #fetch(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiFailure(0, 'unreachable', advice(0, 'unreachable', String(error)));
    }
  }

  async #failure(response: Response): Promise<ApiFailure> {
    let code = 'http_error';
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // Not the API's JSON (a proxy's page): the status says enough.
    }
    if (response.status === 401) this.onUnauthorized();
    return new ApiFailure(response.status, code, advice(response.status, code, message));
  }
}
