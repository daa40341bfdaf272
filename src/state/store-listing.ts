import { randomBytes } from 'node:crypto';
import { SluiceError } from '../core/errors.js';

/**
 * What every state store shares about run ids and listings, so that ids and cursors look and behave
 * the same whichever store made them.
 */

/**
 * A run id that sorts by start time: "r_", the start in ms as 9 base-36 digits (fixed width, so
 * string order is time order until the year 5188), then 48 random bits against collisions between
 * processes starting in the same millisecond.
 */
export function newRunId(startedAt: Date): string {
  return `r_${startedAt.getTime().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/**
 * A negative or fractional limit is a caller's mistake (SQLite would read a negative LIMIT as "no
 * limit"): refuse it rather than guess.
 */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new SluiceError('usage', `limit must be a whole number of 0 or more, got ${limit}`);
  }
  return limit;
}

/** A cursor a store gave out: `parts` whole numbers joined by dots; anything else is `usage`. */
export function parseCursor(cursor: string, parts: number): number[] {
  const numbers = cursor.split('.').map((part) => (/^\d{1,15}$/.test(part) ? Number(part) : Number.NaN));
  if (numbers.length !== parts || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new SluiceError('usage', `cursor ${JSON.stringify(cursor)} is not one this listing gave out`);
  }
  return numbers;
}

/**
 * An alert id that sorts by the time it was raised, like a run id: "a_", the raise time in ms as 9
 * base-36 digits, then 48 random bits (two stores raising in the same millisecond never collide).
 */
export function newAlertId(raisedAt: string): string {
  const ms = Date.parse(raisedAt);
  if (!Number.isFinite(ms)) throw new SluiceError('usage', `not a time: ${JSON.stringify(raisedAt)}`);
  return `a_${ms.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/**
 * Alert listings go open ones first, then newest first by id: the cursor is the page's last alert as
 * whether it was open (1 or 0) and its id.
 */
export function alertCursor(open: boolean, id: string): string {
  return `${open ? 1 : 0}.${id}`;
}

/** A cursor `alertCursor` gave out, as (open, id); anything else is `usage`. */
export function parseAlertCursor(cursor: string): { open: boolean; id: string } {
  const match = /^([01])\.(a_[0-9a-z]{1,40})$/.exec(cursor);
  if (match === null) {
    throw new SluiceError('usage', `cursor ${JSON.stringify(cursor)} is not one this listing gave out`);
  }
  return { open: match[1] === '1', id: match[2]! };
}
