import { type FormEvent, useEffect, useState } from 'react';
import { api, type SessionState } from '../api';
import { errorText, Field } from '../ui';

export function SignInPage({ onSignedIn }: { onSignedIn: (state: SessionState) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · Keyward';
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<SessionState>('POST', '/session', { email, password }));
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <main className="center">
      <form className="card sign-in" onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <h1>
          <img src="/favicon.svg" alt="" width="28" height="28" /> Keyward
        </h1>
        <p className="muted">Sign in to manage products, licenses and machines.</p>
        <Field label="Email">
          {(props) => (
            <input
              {...props}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password">
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        {error && (
          <p id="sign-in-error" className="note error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small-print">
          No account yet? The first admin is printed when the server starts for the first time, or create one
          with <code>keyward user create --email you@example.com --role admin</code>.
        </p>
      </form>
    </main>
  );
}
