import { useCallback, useEffect, useState } from 'react';
import { api, hasScope, onSessionEnded, type SessionState, setCsrfToken } from './api';
import { AnalyticsPage } from './pages/analytics';
import { CustomerPage } from './pages/customer';
import { CustomersPage } from './pages/customers';
import { EmailPage } from './pages/email';
import { EventsPage } from './pages/events';
import { ImportsPage } from './pages/imports';
import { LicensePage } from './pages/license';
import { LicenseTemplatesPage } from './pages/license-templates';
import { LicensesPage } from './pages/licenses';
import { MessagesPage } from './pages/messages';
import { OfflinePage } from './pages/offline';
import { OverviewPage } from './pages/overview';
import { PaymentsPage } from './pages/payments';
import { PortalPage } from './pages/portal';
import { ProductPage } from './pages/product';
import { ProductsPage } from './pages/products';
import { ResellersPage } from './pages/resellers';
import { SignInPage } from './pages/sign-in';
import { SigningKeysPage } from './pages/signing-keys';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';
import { WebhooksPage } from './pages/webhooks';
import { Link, match, navigate, useLocation } from './router';
import { SessionContext } from './session';
import { ErrorNote, Loading } from './ui';

/** `scope`: shown only to users whose role grants it. */
const NAV: Array<{ href: string; label: string; scope?: string }> = [
  { href: '/', label: 'Overview' },
  { href: '/products', label: 'Products & policies' },
  { href: '/license-templates', label: 'License templates' },
  { href: '/licenses', label: 'Licenses' },
  { href: '/offline', label: 'Offline requests', scope: 'machines:write' },
  { href: '/customers', label: 'Customers' },
  { href: '/resellers', label: 'Resellers' },
  { href: '/events', label: 'Events' },
  { href: '/analytics', label: 'Analytics', scope: 'analytics:read' },
  { href: '/messages', label: 'Messages' },
  { href: '/imports', label: 'Imports' },
  { href: '/tokens', label: 'API tokens' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/customer-portal', label: 'Customer portal', scope: 'portal:read' },
  { href: '/email', label: 'Email', scope: 'email:read' },
  { href: '/payments', label: 'Payments', scope: 'payments:read' },
  { href: '/signing-keys', label: 'Signing keys' },
  { href: '/users', label: 'Users', scope: '*' },
];

function Routes({ path }: { path: string }) {
  if (path === '/') return <OverviewPage />;
  if (path === '/products') return <ProductsPage />;
  // Ids are numbers: /licenses/abc is a page that does not exist, not license NaN.
  const id = (pattern: string) => {
    const found = match(pattern, path)?.id;
    return found !== undefined && /^[1-9][0-9]{0,14}$/.test(found) ? Number(found) : null;
  };
  const product = id('/products/:id');
  if (product !== null) return <ProductPage id={product} />;
  if (path === '/licenses') return <LicensesPage />;
  const license = id('/licenses/:id');
  if (license !== null) return <LicensePage id={license} />;
  if (path === '/customers') return <CustomersPage />;
  const customer = id('/customers/:id');
  if (customer !== null) return <CustomerPage id={customer} />;
  if (path === '/events') return <EventsPage />;
  if (path === '/analytics') return <AnalyticsPage />;
  if (path === '/tokens') return <TokensPage />;
  if (path === '/signing-keys') return <SigningKeysPage />;
  if (path === '/webhooks') return <WebhooksPage />;
  if (path === '/email') return <EmailPage />;
  if (path === '/payments') return <PaymentsPage />;
  if (path === '/license-templates') return <LicenseTemplatesPage />;
  if (path === '/resellers') return <ResellersPage />;
  if (path === '/imports') return <ImportsPage />;
  if (path === '/messages') return <MessagesPage />;
  if (path === '/offline') return <OfflinePage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/customer-portal') return <PortalPage />;
  return <NotFound path={path} />;
}

function NotFound({ path }: { path: string }) {
  useEffect(() => {
    document.title = 'Page not found · Keyward';
  }, []);
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/">Go to the overview</Link>.
      </p>
    </section>
  );
}

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<SessionState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  const load = useCallback(() => {
    setError(null);
    api<SessionState>('GET', '/session').then((state) => {
      setCsrfToken(state.csrfToken ?? null);
      setSession(state);
    }, setError);
  }, []);
  useEffect(load, [load]);
  useEffect(() => onSessionEnded(() => setSession({ signedIn: false })), []);
  // Following a link closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every navigation on purpose.
  useEffect(() => setMenuOpen(false), [path]);

  const signOut = useCallback(async () => {
    await api('DELETE', '/session').catch(() => {});
    setCsrfToken(null);
    setSession({ signedIn: false });
    navigate('/');
  }, []);

  if (error) {
    return (
      <main className="center">
        <ErrorNote error={error} onRetry={load} />
      </main>
    );
  }
  if (!session) {
    return (
      <main className="center">
        <Loading />
      </main>
    );
  }
  if (!session.signedIn) {
    return (
      <SignInPage
        onSignedIn={(state) => {
          setCsrfToken(state.csrfToken ?? null);
          setSession(state);
        }}
      />
    );
  }

  const current = (href: string) =>
    href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="layout">
        <header className="topbar">
          <Link href="/" className="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" /> Keyward
          </Link>
          <button
            type="button"
            className="secondary small menu-button"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
        </header>
        <nav id="main-nav" className={`sidebar${menuOpen ? ' open' : ''}`} aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.scope || hasScope(session, item.scope)).map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
          <div className="who">
            <span title={session.user?.email}>{session.user?.email}</span>
            <span className="muted">{session.user?.role}</span>
            <button type="button" className="secondary small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Routes path={path} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}
