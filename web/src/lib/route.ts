/**
 * The UI's pages and their URLs. Routing is by the URL's hash (`#/runs/…`): every page has a stable
 * URL that can be reloaded, bookmarked and shared, and `sluice serve` needs to know none of them.
 */
export type Route =
  | { page: 'syncs' }
  | { page: 'sync'; name: string }
  | { page: 'run'; id: string; status: string; key: string; reason?: string }
  | { page: 'exchanges'; id: string; show: ExchangeShow }
  | { page: 'key'; sync: string; key: string }
  | { page: 'alerts'; sync: string; state: AlertStateFilter }
  | { page: 'not-found'; path: string };

/** Which of a run's exchanges the inspector lists: every one, or only those that failed. */
export type ExchangeShow = 'all' | 'failed';

/** Which alerts the alerts page lists: every one, only open (raised) ones, or only resolved ones. */
export type AlertStateFilter = '' | 'raised' | 'resolved';

export function parseRoute(hash: string): Route {
  const [path = '', queryText = ''] = hash.replace(/^#/, '').split('?', 2);
  const query = new URLSearchParams(queryText);
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'syncs')) return { page: 'syncs' };
  if (parts[0] === 'syncs' && parts.length === 2) return { page: 'sync', name: parts[1]! };
  if (parts[0] === 'syncs' && parts.length === 4 && parts[2] === 'keys')
    return { page: 'key', sync: parts[1]!, key: parts[3]! };
  if (parts[0] === 'runs' && parts.length === 2)
    return {
      page: 'run',
      id: parts[1]!,
      status: query.get('status') ?? '',
      key: query.get('key') ?? '',
      reason: query.get('reason') ?? '',
    };
  if (parts.length === 1 && parts[0] === 'alerts') {
    const state = query.get('state');
    return {
      page: 'alerts',
      sync: query.get('sync') ?? '',
      state: state === 'raised' || state === 'resolved' ? state : '',
    };
  }
  if (parts[0] === 'runs' && parts.length === 3 && parts[2] === 'exchanges')
    return { page: 'exchanges', id: parts[1]!, show: query.get('show') === 'failed' ? 'failed' : 'all' };
  return { page: 'not-found', path };
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.page) {
    case 'syncs':
      return '#/syncs';
    case 'sync':
      return `#/syncs/${e(route.name)}`;
    case 'key':
      return `#/syncs/${e(route.sync)}/keys/${e(route.key)}`;
    case 'run': {
      const query = new URLSearchParams();
      if (route.status) query.set('status', route.status);
      if (route.key) query.set('key', route.key);
      if (route.reason) query.set('reason', route.reason);
      const text = query.toString();
      return `#/runs/${e(route.id)}${text ? `?${text}` : ''}`;
    }
    case 'exchanges':
      return `#/runs/${e(route.id)}/exchanges${route.show === 'failed' ? '?show=failed' : ''}`;
    case 'alerts': {
      const query = new URLSearchParams();
      if (route.sync) query.set('sync', route.sync);
      if (route.state) query.set('state', route.state);
      const text = query.toString();
      return `#/alerts${text ? `?${text}` : ''}`;
    }
    case 'not-found':
      return `#/${route.path}`;
  }
}
