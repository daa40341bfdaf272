import { useState } from 'preact/hooks';
import { ApiClient } from '../api/client';
import { ErrorNote } from '../components/states';
import type { Session } from '../session';

/** Sign-in: paste an API token; it is checked with `/api/v1/me` before it is kept. */
export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (session: Session, token: string) => void;
  notice?: string;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed === '') {
      setError(new Error('Paste an API token first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const client = new ApiClient(trimmed);
      onSignedIn({ client, caller: await client.me() }, trimmed);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Sluice</h1>
      {notice && <p class="notice">{notice}</p>}
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          autofocus
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error && <ErrorNote error={error} />}
      <p class="muted">
        <code>sluice serve</code> prints an admin token on its first start (<code>admin token: …</code>). Make
        others with <code>sluice token create NAME --role viewer|operator|admin</code>. The token is kept in
        this tab only.
      </p>
    </main>
  );
}
