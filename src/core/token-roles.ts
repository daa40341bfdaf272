/**
 * What an API token may do (SPEC §6): `viewer` reads; `operator` also triggers and cancels runs;
 * `admin` also manages tokens. Each role allows everything the roles before it allow.
 */
export const TOKEN_ROLES = ['viewer', 'operator', 'admin'] as const;

export type TokenRole = (typeof TOKEN_ROLES)[number];

export function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

/**
 * Whether a token with `role` may do what needs `needed`: viewer < operator < admin. A value that
 * is no role (read from outside the type system) allows nothing and is allowed by nothing.
 */
export function roleAllows(role: TokenRole, needed: TokenRole): boolean {
  if (!isTokenRole(role) || !isTokenRole(needed)) return false;
  return TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(needed);
}
