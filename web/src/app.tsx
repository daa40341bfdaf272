import { useEffect, useState } from 'preact/hooks';
import { ApiClient } from './api/client';
import { ErrorNote, Loading } from './components/states';
import { href, parseRoute, type Route } from './lib/route';
import { AlertsPage } from './pages/alerts-page';
import { InspectorPage } from './pages/inspector-page';
import { KeyPage } from './pages/key-page';
import { RunPage } from './pages/run-page';
import { SignIn } from './pages/sign-in';
import { SyncPage } from './pages/sync-page';
import { SyncsPage } from './pages/syncs-page';
import { type Session, storedToken } from './session';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

type SessionState =
  | { phase: 'checking' }
  | { phase: 'signed-out'; notice?: string }
  | { phase: 'signed-in'; session: Session }
  | { phase: 'failed'; error: Error; retry: () => void };

/** The app: signs in with a kept token (checked against /me), then shows the page of the URL. */
export function App() {
  const route = useRoute();
  const [state, setState] = useState<SessionState>({ phase: 'checking' });
  const signOut = (notice?: string) => {
    storedToken.clear();
    setState(notice === undefined ? { phase: 'signed-out' } : { phase: 'signed-out', notice });
  };
  const expired = () => signOut('That token is no longer accepted. Sign in with a valid token.');

  const resume = () => {
    const token = storedToken.get();
    if (token === null) {
      setState({ phase: 'signed-out' });
      return;
    }
    setState({ phase: 'checking' });
    const client = new ApiClient(token, expired);
    client.me().then(
      (caller) => setState({ phase: 'signed-in', session: { client, caller } }),
      (error: Error) => {
        // A refused token has already signed out (onUnauthorized); anything else may pass.
        if (storedToken.get() !== null) setState({ phase: 'failed', error, retry: resume });
      },
    );
  };
  useEffect(resume, []);

  useEffect(() => {
    document.title = `${titleOf(route)} · Sluice`;
  }, [route]);

  if (state.phase === 'checking') return <Loading what="your session" />;
  if (state.phase === 'failed')
    return (
      <main id="main">
        <ErrorNote error={state.error} retry={state.retry} />
      </main>
    );
  if (state.phase === 'signed-out')
    return (
      <SignIn
        {...(state.notice === undefined ? {} : { notice: state.notice })}
        onSignedIn={(session, token) => {
          storedToken.set(token);
          setState({
            phase: 'signed-in',
            session: { client: new ApiClient(token, expired), caller: session.caller },
          });
        }}
      />
    );

  const { session } = state;
  return (
    <>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href({ page: 'syncs' })}>
          Sluice
        </a>
        <nav aria-label="Main">
          <a href={href({ page: 'syncs' })} aria-current={route.page === 'syncs' ? 'page' : undefined}>
            Syncs
          </a>
          <a
            href={href({ page: 'alerts', sync: '', state: '' })}
            aria-current={route.page === 'alerts' ? 'page' : undefined}
          >
            Alerts
          </a>
        </nav>
        <span class="who">
          {session.caller.name} <span class="muted">({session.caller.role})</span>
        </span>
        <button type="button" class="secondary" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <Page route={route} session={session} />
    </>
  );
}

/** The hash is the route, so skipping to the content focuses it instead of linking to it. */
function skipToMain() {
  const main = document.getElementById('main');
  main?.setAttribute('tabindex', '-1');
  main?.focus();
}

function Page({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'syncs':
      return <SyncsPage session={session} />;
    case 'sync':
      return <SyncPage key={route.name} session={session} name={route.name} />;
    case 'run':
      return (
        <RunPage
          session={session}
          id={route.id}
          status={route.status}
          keyFilter={route.key}
          reason={route.reason ?? ''}
        />
      );
    case 'alerts':
      return <AlertsPage session={session} sync={route.sync} state={route.state} />;
    case 'exchanges':
      return <InspectorPage session={session} id={route.id} show={route.show} />;
    case 'key':
      return <KeyPage session={session} sync={route.sync} keyValue={route.key} />;
    case 'not-found':
      return (
        <main id="main">
          <h1>No such page</h1>
          <p>
            Nothing lives at <code>#/{route.path}</code>.{' '}
            <a href={href({ page: 'syncs' })}>Go to the syncs</a>.
          </p>
        </main>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'syncs':
      return 'Syncs';
    case 'sync':
      return route.name;
    case 'run':
      return 'Run';
    case 'exchanges':
      return 'Inspector';
    case 'alerts':
      return 'Alerts';
    case 'key':
      return `Key ${route.key}`;
    case 'not-found':
      return 'Not found';
  }
}
