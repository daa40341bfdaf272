import type { MiddlewareHandler } from 'hono';
import { roleAllows, type Sluice, type TokenRole } from '../index.js';
import type { ApiEnv } from './api-env.js';
import { ApiError, type UsageMeaning, unauthorizedError } from './api-errors.js';

/** `Bearer <token>`; the scheme's name is case-insensitive (RFC 7235), the token is one word. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * A route's guard, first in its middleware: the caller must send a token whose role allows
 * `needed` (SPEC §6 "Auth"): none, a bad one or another scheme is a 401, a weaker role a 403. It
 * also records what the route means by the engine's `usage` errors (see api-errors.ts). The token
 * itself is never logged nor echoed; only its name and role are kept for the request.
 */
export function guard(
  sluice: Sluice,
  options: { role: TokenRole | 'public'; usage?: UsageMeaning },
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    c.set('usage', options.usage ?? 'malformed');
    if (options.role !== 'public') {
      const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
      const caller = token === undefined ? null : await sluice.verifyToken(token);
      if (caller === null) throw unauthorizedError();
      if (!roleAllows(caller.role, options.role)) {
        throw new ApiError(
          403,
          'forbidden',
          `this needs a token with the ${options.role} role; token "${caller.name}" has ${caller.role}`,
        );
      }
      c.set('caller', caller);
    }
    await next();
  };
}
