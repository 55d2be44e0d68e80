import { type FormEvent, useState } from 'react';
import { del, get, getAll, type Product, post, type Token } from '../api';
import { DataTable } from '../data-table';
import { FormError, FormFooter } from '../form-footer';
import { SCOPES } from '../generated/server-catalog';
import { Loaded } from '../loaded';
import { ProductPicker } from '../product-picker';
import { useCan } from '../session';
import { CopyButton, Empty, errorText, Field, formatDate, PageHeader, useAsync } from '../ui';

// `*` (every scope) is not offered: a token gets the scopes it needs, one by one.
const GRANTABLE_SCOPES = SCOPES.filter((scope) => scope !== '*');

function CreateToken({ products, onCreated }: { products: Product[]; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['licenses:read', 'licenses:validate']);
  const [productId, setProductId] = useState('');
  const [licenseId, setLicenseId] = useState('');
  const [ips, setIps] = useState('');
  const [bind, setBind] = useState(false);
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const toggle = (scope: string) =>
    setScopes((s) => (s.includes(scope) ? s.filter((x) => x !== scope) : [...s, scope]));
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await post<Token & { secret: string }>('/tokens', {
        name,
        scopes,
        ...(productId ? { productIds: [Number(productId)] } : {}),
        ...(licenseId ? { licenseId: Number(licenseId) } : {}),
        ...(ips.trim() ? { ipAllowlist: ips.split(/[\s,]+/).filter(Boolean) } : {}),
        bindToFirstIp: bind,
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      });
      setSecret({ name: created.name, value: created.secret });
      // Ready for the next token: nothing of this one carries over by accident.
      setName('');
      setScopes(['licenses:read', 'licenses:validate']);
      setProductId('');
      setLicenseId('');
      setIps('');
      setBind(false);
      setExpires('');
      onCreated();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form className="card stack" onSubmit={create} aria-labelledby="new-token">
      <h2 id="new-token">New API token</h2>
      {secret && (
        <div className="note success" role="status">
          <p>
            Token “{secret.name}” created. <strong>Copy the secret now: it is shown only once.</strong>
          </p>
          <code className="secret">{secret.value}</code>{' '}
          <CopyButton text={secret.value} label="Copy secret" />
        </div>
      )}
      <Field label="Name" hint="What the token is for, e.g. “web shop”">
        {(p) => (
          <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <fieldset className="checks scopes">
        <legend>Scopes</legend>
        {GRANTABLE_SCOPES.map((scope) => (
          <label key={scope}>
            <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {scope}
          </label>
        ))}
      </fieldset>
      <div className="grid-2">
        <ProductPicker
          label="Lock to product"
          hint="Optional"
          noneLabel="every product"
          products={products}
          value={productId}
          onChange={setProductId}
        />
        <Field label="Lock to license id" hint="Optional">
          {(p) => (
            <input
              {...p}
              inputMode="numeric"
              pattern="[0-9]*"
              value={licenseId}
              onChange={(e) => setLicenseId(e.target.value)}
            />
          )}
        </Field>
        <Field label="IP allow-list" hint="Addresses or CIDR ranges, comma-separated; empty = any">
          {(p) => <input {...p} value={ips} onChange={(e) => setIps(e.target.value)} />}
        </Field>
        <Field label="Expires on" hint="Optional">
          {(p) => <input {...p} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />}
        </Field>
      </div>
      <label className="inline">
        <input type="checkbox" checked={bind} onChange={(e) => setBind(e.target.checked)} /> Bind to the first
        IP that uses it
      </label>
      <FormFooter error={error} label="Create token" disabled={scopes.length === 0} />
    </form>
  );
}

export function TokensPage() {
  const canWrite = useCan('tokens:write');
  const [showRevoked, setShowRevoked] = useState(false);
  const tokens = useAsync(
    () => get<{ data: Token[] }>('/tokens', { includeRevoked: showRevoked }),
    [showRevoked],
  );
  const products = useAsync(() => getAll<Product>('/products'), []);
  const [error, setError] = useState<string | null>(null);
  const revoke = async (token: Token) => {
    if (!window.confirm(`Revoke the token “${token.name}”? Apps using it stop working at once.`)) return;
    try {
      await del(`/tokens/${token.id}`);
      tokens.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <PageHeader title="API tokens">
        Credentials for your back office, shop or scripts. Secrets are stored hashed.
      </PageHeader>
      {canWrite && <CreateToken products={products.data ?? []} onCreated={tokens.reload} />}
      <label className="inline">
        <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />{' '}
        Show revoked
      </label>
      <FormError error={error} />
      <Loaded state={tokens} rows={(d) => d.data} empty={<Empty title="No tokens" />}>
        {(rows) => (
          <DataTable
            caption="API tokens"
            columns={['Name', 'Prefix', 'Scopes', 'Locks', 'Expires', { label: 'Actions', hidden: true }]}
          >
            {rows.map((t) => (
              <tr key={t.id} className={t.revokedAt ? 'revoked' : undefined}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td className="scopes-cell">{t.scopes.join(', ')}</td>
                <td>
                  {[
                    t.productIds.length ? `products ${t.productIds.join(', ')}` : '',
                    t.licenseId ? `license #${t.licenseId}` : '',
                    t.ipAllowlist.length ? `IPs ${t.ipAllowlist.join(', ')}` : '',
                    t.bindToFirstIp ? 'first IP' : '',
                  ]
                    .filter(Boolean)
                    .join(' · ') || '—'}
                </td>
                <td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="muted">revoked {formatDate(t.revokedAt)}</span>
                  ) : (
                    canWrite && (
                      <button
                        type="button"
                        className="danger small"
                        onClick={() => revoke(t)}
                        aria-label={`Revoke token ${t.name}`}
                      >
                        Revoke
                      </button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </>
  );
}
