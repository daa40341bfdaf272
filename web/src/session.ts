import type { ApiClient, Caller } from './api/client';

/** Who is signed in: the client carrying their token, and the token's name and role. */
export interface Session {
  client: ApiClient;
  caller: Caller;
}

/** Operators and admins trigger and cancel runs; a viewer only reads (SPEC §6 "Auth"). */
export function canOperate(session: Session): boolean {
  return session.caller.role === 'operator' || session.caller.role === 'admin';
}

/** The token lives in this tab's session storage only: closing the tab signs out. */
const TOKEN_KEY = 'sluice.token';

export const storedToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};
