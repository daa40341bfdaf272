import type { z } from '@hono/zod-openapi';
import { ErrorBody } from '../schemas.js';

/** Why each error status happens, as the OpenAPI document says it. */
const ERROR_DESCRIPTIONS = {
  400: 'Malformed request: bad JSON, failed validation, wrong content type, bad cursor or limit',
  401: 'Missing or bad Authorization: send Authorization: Bearer <token>',
  403: "The token's role is too weak for this",
  404: 'Not found',
  409: 'Conflict',
  422: 'A valid request the workspace refuses',
  500: 'Internal error',
  503: 'The state store is unreachable',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The documented error responses of a route: the ones it names, always JSON `Error`. */
export function errorResponses<const S extends ErrorStatus>(
  statuses: readonly S[],
  descriptions: Partial<Record<S, string>> = {},
): { [K in S]: { description: string; content: { 'application/json': { schema: typeof ErrorBody } } } } {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? ERROR_DESCRIPTIONS[status],
        content: { 'application/json': { schema: ErrorBody } },
      },
    ]),
  ) as never;
}

/** Every guarded route can answer these. */
export const GUARDED = [400, 401, 403, 500, 503] as const;

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export const BEARER_SECURITY = [{ bearer: [] }];
