import { describe, expect, it } from 'vitest';
import { href, parseRoute, type Route } from './route';

describe('routes', () => {
  it('round-trips every page through its URL, odd names included', () => {
    const routes: Route[] = [
      { page: 'syncs' },
      { page: 'sync', name: 'users-to-segment' },
      { page: 'run', id: 'r_1', status: 'failed', key: 'a b', reason: 'changed' },
      { page: 'run', id: 'r_1', status: '', key: '', reason: '' },
      { page: 'key', sync: 'users', key: 'a/b ü?#' },
      { page: 'exchanges', id: 'r_1', show: 'all' },
      { page: 'exchanges', id: 'r/2', show: 'failed' },
      { page: 'alerts', sync: '', state: '' },
      { page: 'alerts', sync: 'users & co', state: 'raised' },
      { page: 'alerts', sync: '', state: 'resolved' },
    ];
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
  });

  it('opens the syncs at the root and says when a page does not exist', () => {
    expect(parseRoute('')).toEqual({ page: 'syncs' });
    expect(parseRoute('#/')).toEqual({ page: 'syncs' });
    expect(parseRoute('#/nope/x/y')).toEqual({ page: 'not-found', path: '/nope/x/y' });
  });
});
