import { type CSSProperties, useCallback, useEffect, useRef, useState } from 'react';
import { LicenseList } from './license-list';
import { type Branding, type PortalSession, portalApi, setCsrfToken } from './portal-api';
import { SignInForm } from './sign-in-form';

const SIGN_IN_PATH = '/portal/sign-in';

type State =
  | { kind: 'loading' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'signed-in'; session: PortalSession };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The customer portal in the vendor's name and colours. A sign-in link lands on /portal/sign-in with its token in
 * the fragment (never sent to a server, never in a Referer): the page redeems it once, then drops it from the
 * address bar so a reload or a shared screenshot cannot reuse it.
 */
export function PortalApp() {
  const [branding, setBranding] = useState<Branding | null>(null);
  const [state, setState] = useState<State>({ kind: 'loading' });
  const started = useRef(false);

  const signedIn = useCallback((session: PortalSession) => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  }, []);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const start = async () => {
      const brand = await portalApi<Branding>('GET', '/branding');
      setBranding(brand);
      document.title = brand.displayName;
      if (!brand.isEnabled) {
        setState({ kind: 'unavailable', message: 'The customer portal is not available at the moment.' });
        return;
      }
      const token = window.location.pathname === SIGN_IN_PATH ? window.location.hash.slice(1) : '';
      if (token) {
        window.history.replaceState(null, '', '/portal/');
        try {
          signedIn(await portalApi<PortalSession>('POST', '/sessions', { token }));
          return;
        } catch (error) {
          // An old link opened again in a browser that is still signed in just shows the licenses.
          const current = await portalApi<PortalSession>('GET', '/session').catch(() => null);
          if (current) signedIn(current);
          else setState({ kind: 'signed-out', notice: messageOf(error) });
          return;
        }
      }
      try {
        signedIn(await portalApi<PortalSession>('GET', '/session'));
      } catch {
        setState({ kind: 'signed-out', notice: null });
      }
    };
    start().catch((error) => setState({ kind: 'unavailable', message: messageOf(error) }));
  }, [signedIn]);

  const signOut = async () => {
    await portalApi('DELETE', '/session').catch(() => {});
    setCsrfToken(null);
    setState({ kind: 'signed-out', notice: 'You are signed out.' });
  };
  const sessionEnded = useCallback(() => {
    setCsrfToken(null);
    setState({ kind: 'signed-out', notice: 'Your session has ended; ask for a new sign-in link.' });
  }, []);

  const colours = {
    '--primary': branding?.primaryColor ?? '#1f4f99',
    '--accent': branding?.accentColor ?? '#d97706',
  } as CSSProperties;
  return (
    <div className="portal" style={colours}>
      <header className="portal-header">
        <div className="brand">
          {branding?.logoDataUrl && <img src={branding.logoDataUrl} alt="" height={36} />}
          <span>{branding?.displayName ?? ''}</span>
        </div>
        {state.kind === 'signed-in' && (
          <div className="who">
            <span>{state.session.email}</span>
            <button type="button" className="secondary" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main className="portal-main">
        {state.kind === 'loading' && <p role="status">Loading…</p>}
        {state.kind === 'unavailable' && (
          <p className="note error" role="alert">
            {state.message}
          </p>
        )}
        {state.kind === 'signed-out' && <SignInForm notice={state.notice} />}
        {state.kind === 'signed-in' && branding && (
          <LicenseList allowed={branding.allowedActions} onSessionEnded={sessionEnded} />
        )}
      </main>
    </div>
  );
}
