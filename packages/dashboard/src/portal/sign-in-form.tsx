import { type FormEvent, useState } from 'react';
import { portalApi } from './portal-api';

/** Asks for a sign-in link, then says to check the inbox: the same words whether or not the address is known. */
export function SignInForm({ notice }: { notice: string | null }) {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await portalApi<{ message: string }>('POST', '/sign-in-links', { email: email.trim() });
      setSent(answer.message);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  if (sent)
    return (
      <section className="card" aria-labelledby="check-email">
        <h1 id="check-email">Check your email</h1>
        <p role="status">{sent}</p>
        <button type="button" className="secondary" onClick={() => setSent(null)}>
          Use another address
        </button>
      </section>
    );
  return (
    <form className="card" onSubmit={submit} aria-labelledby="sign-in">
      <h1 id="sign-in">Sign in</h1>
      {notice && (
        <p className="note" role="status">
          {notice}
        </p>
      )}
      <p>Enter the email address your licenses were issued to; we will send you a link to sign in.</p>
      <label htmlFor="portal-email">Email address</label>
      <input
        id="portal-email"
        type="email"
        required
        autoComplete="email"
        maxLength={320}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      {error && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Send me a sign-in link
      </button>
    </form>
  );
}
