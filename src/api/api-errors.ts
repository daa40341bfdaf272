import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isSluiceError } from '../index.js';

/**
 * The one place where failures become HTTP answers (SPEC §6 "Errors"): every error is JSON
 * `{"error": {"code", "message"}}`, and each SluiceError code has one status here.
 */

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 500 | 503;

/** An answer the API decides on itself: a bad request, no or a weak token, an unknown route. */
export class ApiError extends Error {
  readonly status: ErrorStatus;
  readonly code: string;

  constructor(status: ErrorStatus, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * What the engine's `usage` means depends on what was asked. Where the request names what to list
 * (a bad cursor, limit or status) or what to create (a bad token name), the request itself is
 * malformed: 400. Where a well-formed request asks for something this workspace does not allow
 * (a full resync of an event sync), it is refused: 422. Routes say which with `usageMeans`.
 */
export type UsageMeaning = 'malformed' | 'refused';

/** The engine's error codes and what each answers. Anything not here is a 500. */
const STATUS_OF_CODE: Readonly<Record<string, ErrorStatus>> = {
  not_found: 404,
  /** Another run of the sync is going or waiting. */
  sync_locked: 409,
  /** Cancelling a run that has already ended. */
  run_finished: 409,
  /** Creating something that exists, e.g. a token name. */
  conflict: 409,
  /** The state store is unreachable or unreadable: try again later. */
  state_error: 503,
};

/** The status and body for any error a route throws. Internal errors never show their details. */
export function errorAnswer(
  error: unknown,
  usage: UsageMeaning,
): { status: ErrorStatus; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof HTTPException) return httpExceptionAnswer(error);
  if (isSluiceError(error)) {
    const status = error.code === 'usage' ? (usage === 'refused' ? 422 : 400) : STATUS_OF_CODE[error.code];
    if (status !== undefined) return { status, code: error.code, message: error.message };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/**
 * hono's own refusals: malformed JSON is a 400, and a body in a content type the route does not
 * take is hono's plain-text 415, which SPEC §6 makes a JSON 400 like any other malformed request.
 */
function httpExceptionAnswer(error: HTTPException): { status: ErrorStatus; code: string; message: string } {
  if (error.status === 415) {
    return { status: 400, code: 'invalid_request', message: 'the request body must be application/json' };
  }
  if (error.status === 400) return { status: 400, code: 'invalid_request', message: error.message };
  if (error.status === 401) return unauthorized();
  if (error.status === 404) return { status: 404, code: 'not_found', message: error.message };
  return { status: 500, code: 'internal', message: 'internal error' };
}

function unauthorized(): { status: 401; code: string; message: string } {
  return {
    status: 401,
    code: 'unauthorized',
    message: 'send a valid API token as Authorization: Bearer <token> (sluice token create)',
  };
}

export function unauthorizedError(): ApiError {
  const { status, code, message } = unauthorized();
  return new ApiError(status, code, message);
}

/** The JSON error response; a 401 also says which scheme to use (RFC 6750). */
export function errorResponse(c: Context, answer: { status: ErrorStatus; code: string; message: string }) {
  if (answer.status === 401) c.header('WWW-Authenticate', 'Bearer realm="sluice"');
  return c.json(
    { error: { code: answer.code, message: answer.message } },
    answer.status as ContentfulStatusCode,
  );
}
