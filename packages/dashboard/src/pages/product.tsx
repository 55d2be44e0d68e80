import { type FormEvent, useState } from 'react';
import {
  type Customer,
  del,
  type FeatureField,
  type FeatureType,
  get,
  getAll,
  type LicenseList,
  type Policy,
  type Product,
  patch,
  post,
} from '../api';
import { type Notice, NoticeNote } from '../feedback';
import { flashOn, takeFlash } from '../flash';
import { FormFooter } from '../form-footer';
import { Link, navigate } from '../router';
import { useCan } from '../session';
import {
  Dialog,
  Empty,
  ErrorNote,
  errorText,
  Field,
  formatNumber,
  Loading,
  PageHeader,
  useAsync,
} from '../ui';
import { BulkCreate } from './licenses';

const DAY = 86_400;

interface PolicyDraft {
  name: string;
  maxMachines: number;
  maxDeactivations: number;
  isFloating: boolean;
  leaseSeconds: number;
  allowVm: boolean;
  durationDays: string;
  expirationBasis: string;
  isTrial: boolean;
  allowLicenseAuth: boolean;
  featureFields: Array<{ name: string; type: FeatureType; isRequired: boolean; defaultValue: string }>;
}

const draftOf = (policy: Policy | null): PolicyDraft => ({
  name: policy?.name ?? '',
  maxMachines: policy?.maxMachines ?? 1,
  maxDeactivations: policy?.maxDeactivations ?? -1,
  isFloating: policy?.isFloating ?? false,
  leaseSeconds: policy?.leaseSeconds ?? 3600,
  allowVm: policy?.allowVm ?? true,
  durationDays: policy?.durationSeconds ? String(Math.round(policy.durationSeconds / DAY)) : '',
  expirationBasis: policy?.expirationBasis ?? 'CREATION',
  isTrial: policy?.isTrial ?? false,
  allowLicenseAuth: policy?.allowLicenseAuth ?? true,
  featureFields: (policy?.featureFields ?? []).map((f) => ({
    name: f.name,
    type: f.type as FeatureType,
    isRequired: f.isRequired,
    defaultValue: f.defaultValue === null ? '' : String(f.defaultValue),
  })),
});

function typedDefault(type: FeatureType, text: string): FeatureField['defaultValue'] {
  if (text === '') return null;
  if (type === 'integer') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

function PolicyForm({
  productId,
  policy,
  onSaved,
}: {
  productId: number;
  policy: Policy | null;
  onSaved: (saved: Policy) => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(policy));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof PolicyDraft>(key: K, value: PolicyDraft[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));
  const setField = (i: number, change: Partial<PolicyDraft['featureFields'][number]>) =>
    set(
      'featureFields',
      draft.featureFields.map((f, j) => (i === j ? { ...f, ...change } : f)),
    );

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = {
      name: draft.name,
      maxMachines: draft.maxMachines,
      maxDeactivations: draft.maxDeactivations,
      isFloating: draft.isFloating,
      ...(draft.isFloating ? { leaseSeconds: draft.leaseSeconds } : {}),
      allowVm: draft.allowVm,
      durationSeconds: draft.durationDays ? Number(draft.durationDays) * DAY : null,
      expirationBasis: draft.expirationBasis,
      isTrial: draft.isTrial,
      allowLicenseAuth: draft.allowLicenseAuth,
      featureFields: draft.featureFields.map((f) => ({
        name: f.name,
        type: f.type,
        isRequired: f.isRequired,
        defaultValue: typedDefault(f.type, f.defaultValue),
      })),
    };
    try {
      onSaved(
        policy
          ? await patch<Policy>(`/policies/${policy.id}`, body)
          : await post<Policy>('/policies', { productId, ...body }),
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} className="stack">
      <Field label="Policy name">
        {(p) => (
          <input
            {...p}
            required
            maxLength={200}
            value={draft.name}
            onChange={(e) => set('name', e.target.value)}
          />
        )}
      </Field>
      <div className="grid-2">
        <Field label="Machines per key" hint="0 = unlimited">
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              required
              value={draft.maxMachines}
              onChange={(e) => set('maxMachines', Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Deactivations per key" hint="-1 = unlimited">
          {(p) => (
            <input
              {...p}
              type="number"
              min={-1}
              required
              value={draft.maxDeactivations}
              onChange={(e) => set('maxDeactivations', Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Key lifetime in days" hint="Empty = perpetual">
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              value={draft.durationDays}
              onChange={(e) => set('durationDays', e.target.value)}
            />
          )}
        </Field>
        <Field label="Lifetime counts from">
          {(p) => (
            <select
              {...p}
              value={draft.expirationBasis}
              onChange={(e) => set('expirationBasis', e.target.value)}
            >
              <option value="CREATION">creation of the key</option>
              <option value="FIRST_ACTIVATION">first activation</option>
            </select>
          )}
        </Field>
      </div>
      <fieldset className="checks">
        <legend>Rules</legend>
        <label>
          <input
            type="checkbox"
            checked={draft.isFloating}
            onChange={(e) => set('isFloating', e.target.checked)}
          />{' '}
          Floating seats (leases)
        </label>
        <label>
          <input type="checkbox" checked={draft.allowVm} onChange={(e) => set('allowVm', e.target.checked)} />{' '}
          Virtual machines allowed
        </label>
        <label>
          <input type="checkbox" checked={draft.isTrial} onChange={(e) => set('isTrial', e.target.checked)} />{' '}
          Trial
        </label>
        <label>
          <input
            type="checkbox"
            checked={draft.allowLicenseAuth}
            onChange={(e) => set('allowLicenseAuth', e.target.checked)}
          />{' '}
          Apps may use the key as credential
        </label>
      </fieldset>
      {draft.isFloating && (
        <Field label="Lease length in seconds">
          {(p) => (
            <input
              {...p}
              type="number"
              min={30}
              value={draft.leaseSeconds}
              onChange={(e) => set('leaseSeconds', Number(e.target.value))}
            />
          )}
        </Field>
      )}
      <fieldset>
        <legend>Feature fields</legend>
        {draft.featureFields.length === 0 && (
          <p className="muted">No feature fields: keys carry no feature values.</p>
        )}
        {draft.featureFields.map((f, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and have no id of their own.
          <div className="feature-row" key={i}>
            <Field label={`Field ${i + 1} name`}>
              {(p) => (
                <input
                  {...p}
                  required
                  pattern="[A-Za-z0-9_.\-]+"
                  value={f.name}
                  onChange={(e) => setField(i, { name: e.target.value })}
                />
              )}
            </Field>
            <Field label="Type">
              {(p) => (
                <select
                  {...p}
                  value={f.type}
                  onChange={(e) => setField(i, { type: e.target.value as FeatureType })}
                >
                  <option value="string">text</option>
                  <option value="integer">whole number</option>
                  <option value="boolean">yes/no</option>
                  <option value="date">date</option>
                </select>
              )}
            </Field>
            <Field label="Default">
              {(p) =>
                f.type === 'boolean' ? (
                  <select
                    {...p}
                    value={f.defaultValue}
                    onChange={(e) => setField(i, { defaultValue: e.target.value })}
                  >
                    <option value="">none</option>
                    <option value="true">yes</option>
                    <option value="false">no</option>
                  </select>
                ) : (
                  <input
                    {...p}
                    type={f.type === 'integer' ? 'number' : f.type === 'date' ? 'date' : 'text'}
                    value={f.defaultValue}
                    onChange={(e) => setField(i, { defaultValue: e.target.value })}
                  />
                )
              }
            </Field>
            <label className="inline">
              <input
                type="checkbox"
                checked={f.isRequired}
                onChange={(e) => setField(i, { isRequired: e.target.checked })}
              />{' '}
              Required
            </label>
            <button
              type="button"
              className="secondary small"
              onClick={() =>
                set(
                  'featureFields',
                  draft.featureFields.filter((_, j) => j !== i),
                )
              }
              aria-label={`Remove field ${f.name || i + 1}`}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="secondary small"
          onClick={() =>
            set('featureFields', [
              ...draft.featureFields,
              { name: '', type: 'boolean', isRequired: false, defaultValue: '' },
            ])
          }
        >
          Add feature field
        </button>
      </fieldset>
      <FormFooter error={error} busy={busy} label={policy ? 'Save policy' : 'Create policy'} />
    </form>
  );
}

function describe(policy: Policy): string {
  const parts = [
    policy.maxMachines === 0
      ? 'unlimited machines'
      : `${policy.maxMachines} machine${policy.maxMachines === 1 ? '' : 's'}`,
    policy.durationSeconds ? `${Math.round(policy.durationSeconds / DAY)} days` : 'perpetual',
  ];
  if (policy.isFloating) parts.push('floating');
  if (policy.isTrial) parts.push('trial');
  return parts.join(' · ');
}

/** How many licenses a policy holds: the number a person weighs before deleting or changing it. */
function PolicyLicenseCount({ policyId }: { policyId: number }) {
  const count = useAsync(
    () => get<LicenseList>('/licenses', { policyId, limit: 1, withTotal: true }),
    [policyId],
  );
  if (!count.data || count.data.total === undefined) return null;
  const { total, isTotalExact } = count.data;
  return (
    <>
      {' · '}
      {isTotalExact === false ? 'more than ' : ''}
      {formatNumber(total)} {total === 1 ? 'license' : 'licenses'}
    </>
  );
}

export function ProductPage({ id }: { id: number }) {
  const canWriteProduct = useCan('products:write');
  const canWritePolicy = useCan('policies:write');
  const canCreateKeys = useCan('licenses:write');
  const canReadCustomers = useCan('customers:read');
  const data = useAsync(
    async () => ({
      product: await get<Product>(`/products/${id}`),
      policies: await getAll<Policy>('/policies', { productId: id }),
    }),
    [id],
  );
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const [creatingKeys, setCreatingKeys] = useState<Policy | null>(null);
  const [name, setName] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(() => {
    const text = takeFlash(`/products/${id}`);
    return text ? { text } : null;
  });
  const [busy, setBusy] = useState(false);
  // Counts reload after keys are made or a policy changes.
  const [generation, setGeneration] = useState(0);
  const catalog = useAsync(
    async () =>
      creatingKeys
        ? {
            products: await getAll<Product>('/products'),
            policies: await getAll<Policy>('/policies'),
            customers: canReadCustomers ? await getAll<Customer>('/customers') : [],
          }
        : null,
    [creatingKeys, canReadCustomers],
  );

  if (data.error) return <ErrorNote error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading />;
  const { product, policies } = data.data;

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    try {
      const renamed = await patch<Product>(`/products/${id}`, { name });
      setName(null);
      setNotice({ text: `Product renamed to “${renamed.name}”.` });
      data.reload();
    } catch (e) {
      setNotice({ text: `Renaming failed: ${errorText(e)}`, error: true });
    }
  };
  const deleteProduct = async () => {
    if (!window.confirm(`Delete the product ${product.name}? This cannot be undone.`)) return;
    setBusy(true);
    setNotice(null);
    try {
      await del(`/products/${id}`);
      flashOn('/products', `Product “${product.name}” deleted.`);
      navigate('/products');
    } catch (e) {
      // The server refuses while policies or licenses remain, and says which.
      setNotice({ text: `The product was not deleted: ${errorText(e)}`, error: true });
      setBusy(false);
    }
  };
  const deletePolicy = async (policy: Policy) => {
    if (!window.confirm(`Delete the policy ${policy.name}? This cannot be undone.`)) return;
    setBusy(true);
    setNotice(null);
    try {
      await del(`/policies/${policy.id}`);
      setNotice({ text: `Policy “${policy.name}” deleted.` });
      data.reload();
    } catch (e) {
      setNotice({ text: `The policy ${policy.name} was not deleted: ${errorText(e)}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="breadcrumb">
        <Link href="/products">Products</Link> /
      </p>
      <PageHeader
        title={product.name}
        actions={
          <>
            <Link className="button secondary" href={`/licenses?productId=${id}`}>
              Licenses of this product
            </Link>
            {canWritePolicy && (
              <button type="button" onClick={() => setEditing('new')}>
                New policy
              </button>
            )}
            {canWriteProduct && (
              <button type="button" className="danger" disabled={busy} onClick={deleteProduct}>
                Delete product
              </button>
            )}
          </>
        }
      >
        Product #{product.id}
        {product.code ? ` · code ${product.code}` : ''}
      </PageHeader>
      <NoticeNote notice={notice} />
      {canWriteProduct && (
        <form className="card inline-form" onSubmit={rename} aria-label="Rename product">
          <Field label="Product name">
            {(p) => (
              <input
                {...p}
                required
                maxLength={200}
                value={name ?? product.name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="secondary" disabled={name === null || name === product.name}>
            Rename
          </button>
        </form>
      )}
      <section aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        {policies.length === 0 ? (
          <Empty title="No policies yet">
            A policy is needed before keys can be issued for this product.
          </Empty>
        ) : (
          <ul className="cards">
            {policies.map((policy) => (
              <li key={policy.id} className="card">
                <div className="card-head">
                  <h3>{policy.name}</h3>
                  <div className="actions">
                    {canWritePolicy && (
                      <button
                        type="button"
                        className="secondary small"
                        onClick={() => setEditing(policy)}
                        aria-label={`Edit policy ${policy.name}`}
                      >
                        Edit
                      </button>
                    )}
                    {canWritePolicy && (
                      <button
                        type="button"
                        className="danger small"
                        disabled={busy}
                        onClick={() => deletePolicy(policy)}
                        aria-label={`Delete policy ${policy.name}`}
                      >
                        Delete
                      </button>
                    )}
                  </div>
                </div>
                <p className="muted">
                  #{policy.id} · {describe(policy)}
                  <PolicyLicenseCount key={generation} policyId={policy.id} />
                </p>
                {policy.featureFields.length > 0 && (
                  <p>
                    Features:{' '}
                    {policy.featureFields.map((f) => (
                      <span key={f.name} className="chip">
                        {f.name} <span className="muted">({f.type})</span>
                      </span>
                    ))}
                  </p>
                )}
                <div className="actions wrap">
                  <Link href={`/licenses?policyId=${policy.id}`}>Licenses under this policy</Link>
                  {canCreateKeys && (
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => setCreatingKeys(policy)}
                      aria-label={`Create keys under ${policy.name}`}
                    >
                      Create keys
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Dialog
        title={editing === 'new' ? 'New policy' : `Edit policy ${editing?.name ?? ''}`}
        open={editing !== null}
        onClose={() => setEditing(null)}
      >
        <PolicyForm
          productId={id}
          policy={editing === 'new' ? null : editing}
          onSaved={(saved) => {
            setNotice({
              text: editing === 'new' ? `Policy “${saved.name}” created.` : `Policy “${saved.name}” saved.`,
            });
            setEditing(null);
            data.reload();
          }}
        />
      </Dialog>
      <Dialog
        title="Create keys"
        open={creatingKeys !== null}
        onClose={() => {
          setCreatingKeys(null);
          setGeneration((g) => g + 1);
        }}
      >
        {catalog.data && creatingKeys ? (
          <BulkCreate
            catalog={catalog.data}
            initialPolicyId={String(creatingKeys.id)}
            onDone={() => setGeneration((g) => g + 1)}
          />
        ) : catalog.error ? (
          <ErrorNote error={catalog.error} onRetry={catalog.reload} />
        ) : (
          <Loading />
        )}
      </Dialog>
    </>
  );
}
