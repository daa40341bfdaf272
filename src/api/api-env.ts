import type { Sluice, TokenRole } from '../index.js';
import type { UsageMeaning } from './api-errors.js';

/** What a request carries through its middleware: who called, and what `usage` means on its route. */
export interface ApiEnv {
  Variables: {
    caller: { name: string; role: TokenRole };
    usage: UsageMeaning;
  };
}

/** What every route module gets. */
export interface RouteContext {
  sluice: Sluice;
}
