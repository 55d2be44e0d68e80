import { type FormEvent, useState } from 'react';
import {
  type Customer,
  type DataObject,
  type DomainEvent,
  del,
  type FeatureField,
  type FeatureValue,
  get,
  getAll,
  type License,
  type Machine,
  type Page,
  type Policy,
  type Product,
  patch,
  post,
} from '../api';
import { DataTable } from '../data-table';
import { type Notice, NoticeNote, SuccessNote } from '../feedback';
import { flashOn } from '../flash';
import { FormError, FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { Link, navigate } from '../router';
import { useCan } from '../session';
import {
  CopyButton,
  Dialog,
  Empty,
  ErrorNote,
  errorText,
  Field,
  formatDate,
  Loading,
  PageHeader,
  StatusBadge,
  useAsync,
} from '../ui';
import { EventTable } from './events';

function Machines({ licenseId, onChange }: { licenseId: number; onChange: (text: string) => void }) {
  const canManage = useCan('machines:write');
  const [showAll, setShowAll] = useState(false);
  const machines = useAsync(
    () => getAll<Machine>('/machines', { licenseId, includeDeactivated: showAll }),
    [licenseId, showAll],
  );
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const deactivate = async (machine: Machine) => {
    if (
      !window.confirm(
        `Deactivate ${machine.name ?? machine.fingerprint}? The app on it stops being licensed.`,
      )
    )
      return;
    setBusy(machine.id);
    setError(null);
    try {
      await del(`/machines/${machine.id}`);
      machines.reload();
      onChange(`Machine “${machine.name ?? machine.fingerprint}” deactivated.`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card" aria-labelledby="machines-title">
      <div className="card-head">
        <h2 id="machines-title">Machines</h2>
        <label className="inline">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> Include
          deactivated
        </label>
      </div>
      <FormError error={error} />
      <Loaded
        state={machines}
        rows={(d) => d}
        empty={
          <Empty title="No machines">
            The key has not been activated{showAll ? '' : ' on any machine right now'}.
          </Empty>
        }
      >
        {(rows) => (
          <DataTable
            caption="Machines of this license"
            columns={[
              'Machine',
              'Platform',
              'IP',
              'Activated',
              'Last seen',
              { label: 'Actions', hidden: true },
            ]}
          >
            {rows.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name && <div>{m.name}</div>}
                  <code className="small">{m.fingerprint}</code>
                  {m.isVm && <span className="chip">VM</span>}
                </td>
                <td>{m.platform ?? '—'}</td>
                <td>{m.ip ?? '—'}</td>
                <td>{formatDate(m.createdAt)}</td>
                <td>{formatDate(m.lastSeenAt)}</td>
                <td>
                  {m.deactivatedAt ? (
                    <span className="muted">deactivated {formatDate(m.deactivatedAt)}</span>
                  ) : (
                    canManage && (
                      <button
                        type="button"
                        className="danger small"
                        disabled={busy === m.id}
                        onClick={() => deactivate(m)}
                        aria-label={`Deactivate machine ${m.name ?? m.fingerprint}`}
                      >
                        {busy === m.id ? 'Deactivating…' : 'Deactivate'}
                      </button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </section>
  );
}

function Notes({ license, onSaved }: { license: License; onSaved: (l: License) => void }) {
  const canWrite = useCan('licenses:write');
  const [notes, setNotes] = useState(license.notes ?? '');
  const [state, setState] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setState('Saving…');
    try {
      onSaved(await patch<License>(`/licenses/${license.id}`, { notes: notes === '' ? null : notes }));
      setState('Notes saved.');
    } catch (e) {
      setState(errorText(e));
    }
  };
  return (
    <form className="card" onSubmit={save} aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      <Field label="Notes (visible to your staff only)">
        {(p) => (
          <textarea
            {...p}
            rows={3}
            maxLength={10_000}
            value={notes}
            readOnly={!canWrite}
            onChange={(e) => setNotes(e.target.value)}
          />
        )}
      </Field>
      {canWrite && (
        <div className="actions">
          <button type="submit" className="secondary" disabled={notes === (license.notes ?? '')}>
            Save notes
          </button>
          <span role="status" className="muted">
            {state}
          </span>
        </div>
      )}
    </form>
  );
}

function DataObjects({ licenseId }: { licenseId: number }) {
  const canWrite = useCan('data-objects:write');
  const objects = useAsync(
    () => get<{ data: DataObject[] }>('/data-objects', { ownerType: 'license', ownerId: licenseId }),
    [licenseId],
  );
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setAdded(null);
    const isInt = /^-?\d+$/.test(value);
    try {
      await post('/data-objects', {
        ownerType: 'license',
        ownerId: licenseId,
        name,
        ...(isInt ? { intValue: Number(value) } : { stringValue: value }),
      });
      setAdded(`Data object “${name}” added.`);
      setName('');
      setValue('');
      objects.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="card" aria-labelledby="data-title">
      <h2 id="data-title">Data objects</h2>
      <Loaded
        state={objects}
        rows={(d) => d.data}
        empty={<p className="muted">No data objects on this license.</p>}
      >
        {(rows) => (
          <dl className="pairs">
            {rows.map((o) => (
              <div key={o.id}>
                <dt>{o.name}</dt>
                <dd>
                  {o.intValue}
                  {o.stringValue ? ` · “${o.stringValue}”` : ''}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </Loaded>
      {canWrite && (
        <form className="inline-form" onSubmit={add} aria-label="Add a data object">
          <Field label="Name">
            {(p) => (
              <input {...p} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            )}
          </Field>
          <Field label="Value" hint="A whole number or text">
            {(p) => <input {...p} value={value} onChange={(e) => setValue(e.target.value)} />}
          </Field>
          <button type="submit" className="secondary">
            Add
          </button>
          <FormError error={error} />
          <SuccessNote text={added} />
        </form>
      )}
    </section>
  );
}

/** A datetime-local value (the browser's time zone) for an instant, and back. */
const toLocalInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (text: string) => (text ? new Date(text).toISOString() : null);

/** A feature value as a form holds it (text), and back to the field's type; '' leaves the feature unset. */
const featureText = (value: FeatureValue | undefined) =>
  value === undefined
    ? ''
    : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
      ? value.slice(0, 10)
      : String(value);
function featureValue(field: FeatureField, text: string): FeatureValue | null {
  if (text === '') return null;
  if (field.type === 'integer') return Number(text);
  if (field.type === 'boolean') return text === 'true';
  return text;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The fields of a license a person changes by hand; the dialog starts from the license as it is now. */
function EditLicense({
  license,
  onSaved,
}: {
  license: License;
  onSaved: (license: License, changed: string[]) => void;
}) {
  const canReadCustomers = useCan('customers:read');
  const choices = useAsync(
    async () => ({
      products: await getAll<Product>('/products'),
      policies: await getAll<Policy>('/policies'),
      customers: canReadCustomers ? await getAll<Customer>('/customers') : [],
    }),
    [canReadCustomers],
  );
  const [email, setEmail] = useState(license.email ?? '');
  const [customerId, setCustomerId] = useState(license.customerId === null ? '' : String(license.customerId));
  const [tags, setTags] = useState(license.tags.join(', '));
  const [policyId, setPolicyId] = useState(String(license.policyId));
  const [expires, setExpires] = useState(toLocalInput(license.expiresAt));
  const [features, setFeatures] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(license.features).map(([name, value]) => [name, featureText(value)])),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (choices.error) return <ErrorNote error={choices.error} onRetry={choices.reload} />;
  if (!choices.data) return <Loading />;
  const { products, policies, customers } = choices.data;
  const policy = policies.find((p) => p.id === Number(policyId));
  const productName = (id: number) => products.find((p) => p.id === id)?.name ?? `#${id}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const body: Record<string, unknown> = {};
    const changed: string[] = [];
    const nextEmail = email.trim() === '' ? null : email.trim();
    if (nextEmail !== license.email) {
      body.email = nextEmail;
      changed.push('email');
    }
    const nextCustomer = customerId === '' ? null : Number(customerId);
    if (nextCustomer !== license.customerId) {
      body.customerId = nextCustomer;
      changed.push('customer');
    }
    const nextTags = [
      ...new Set(
        tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ];
    if (!sameList(nextTags, license.tags)) {
      body.tags = nextTags;
      changed.push('tags');
    }
    if (Number(policyId) !== license.policyId) {
      body.policyId = Number(policyId);
      changed.push('policy');
    }
    const nextExpiry = fromLocalInput(expires);
    if (nextExpiry !== (license.expiresAt ? new Date(license.expiresAt).toISOString() : null)) {
      // Unchanged to the minute means unchanged: the form holds no seconds.
      if (toLocalInput(nextExpiry) !== toLocalInput(license.expiresAt)) {
        body.expiresAt = nextExpiry;
        changed.push('expiry');
      }
    }
    const featureChanges: Record<string, FeatureValue | null> = {};
    for (const field of policy?.featureFields ?? []) {
      const text = features[field.name] ?? '';
      if (text !== featureText(license.features[field.name]))
        featureChanges[field.name] = featureValue(field, text);
    }
    if (Object.keys(featureChanges).length > 0) {
      body.features = featureChanges;
      changed.push('features');
    }
    if (changed.length === 0) {
      setError('Nothing was changed.');
      return;
    }
    setBusy(true);
    try {
      onSaved(await patch<License>(`/licenses/${license.id}`, body), changed);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} className="stack" aria-label="Edit the license">
      <div className="grid-2">
        <Field label="Email" hint="Empty: none">
          {(p) => (
            <input
              {...p}
              type="email"
              maxLength={320}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        {canReadCustomers && (
          <Field label="Customer">
            {(p) => (
              <select {...p} value={customerId} onChange={(e) => setCustomerId(e.target.value)}>
                <option value="">none</option>
                {customers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                    {c.email ? ` <${c.email}>` : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label="Policy" hint="Moving a key to another policy gives it that policy's rules">
          {(p) => (
            <select {...p} value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
              {policies.map((x) => (
                <option key={x.id} value={x.id}>
                  {productName(x.productId)} · {x.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expires" hint="Your time zone; empty: never">
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field label="Tags" hint="Separated by commas">
        {(p) => <input {...p} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
      {policy && policy.featureFields.length > 0 && (
        <fieldset>
          <legend>Features</legend>
          <div className="grid-2">
            {policy.featureFields.map((field) => {
              const text = features[field.name] ?? '';
              const set = (value: string) => setFeatures((f) => ({ ...f, [field.name]: value }));
              const label = `Feature ${field.name}`;
              const hint =
                field.defaultValue !== null
                  ? `Unset: the policy's default, ${String(field.defaultValue)}`
                  : field.isRequired
                    ? 'Required'
                    : 'Unset: none';
              return (
                <Field key={field.name} label={label} hint={hint}>
                  {(p) =>
                    field.type === 'boolean' ? (
                      <select {...p} value={text} onChange={(e) => set(e.target.value)}>
                        <option value="">unset</option>
                        <option value="true">yes</option>
                        <option value="false">no</option>
                      </select>
                    ) : (
                      <input
                        {...p}
                        type={field.type === 'integer' ? 'number' : field.type === 'date' ? 'date' : 'text'}
                        value={text}
                        onChange={(e) => set(e.target.value)}
                      />
                    )
                  }
                </Field>
              );
            })}
          </div>
        </fieldset>
      )}
      <FormFooter error={error} busy={busy} label="Save license" />
    </form>
  );
}

const ACTION_DONE: Record<string, string> = {
  suspend: 'License suspended.',
  reinstate: 'License reinstated.',
  reset: 'License reset: its machines are deactivated and the counters start over.',
  revoke: 'License revoked.',
};
const ACTION_LABEL: Record<string, string> = {
  suspend: 'Suspending',
  reinstate: 'Reinstating',
  reset: 'Resetting',
  revoke: 'Revoking',
  extend: 'Extending',
  delete: 'Deleting',
};

export function LicensePage({ id }: { id: number }) {
  const canWrite = useCan('licenses:write');
  const canReadCustomers = useCan('customers:read');
  const data = useAsync(async () => {
    const license = await get<License>(`/licenses/${id}`);
    const [policy, customer] = await Promise.all([
      get<Policy>(`/policies/${license.policyId}`).catch(() => null),
      license.customerId !== null && canReadCustomers
        ? get<Customer>(`/customers/${license.customerId}`).catch(() => null)
        : null,
    ]);
    return { license, policy, customer };
  }, [id, canReadCustomers]);
  const events = useAsync(() => get<Page<DomainEvent>>('/events', { licenseId: id, limit: 50 }), [id]);
  const [license, setLicense] = useState<License | null>(null);
  const [message, setMessage] = useState<Notice | null>(null);
  const [days, setDays] = useState(30);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);

  if (data.error) return <ErrorNote error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading />;
  const current = license && license.id === id ? license : data.data.license;
  const { policy, customer } = data.data;

  const changed = (next: License, text: string) => {
    setLicense(next);
    setMessage({ text });
    data.reload();
    events.reload();
  };
  const act = async (
    name: string,
    run: () => Promise<License>,
    done: (l: License) => string,
    confirmText?: string,
  ) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    setMessage(null);
    try {
      const next = await run();
      changed(next, done(next));
    } catch (e) {
      setMessage({ text: `${ACTION_LABEL[name] ?? name} failed: ${errorText(e)}`, error: true });
    } finally {
      setBusy(false);
    }
  };
  const action = (name: string, confirmText?: string) =>
    act(
      name,
      () => post<License>(`/licenses/${id}/actions/${name}`),
      () => ACTION_DONE[name] ?? 'Done.',
      confirmText,
    );
  const remove = async () => {
    if (
      !window.confirm(
        `Delete the license ${current.key} for good? Its machines, data objects and history go with it; apps using it stop working.`,
      )
    )
      return;
    setBusy(true);
    setMessage(null);
    try {
      await del(`/licenses/${id}`);
      flashOn('/licenses', `License ${current.key} deleted.`);
      navigate('/licenses');
    } catch (e) {
      setMessage({ text: `Deleting failed: ${errorText(e)}`, error: true });
      setBusy(false);
    }
  };

  return (
    <>
      <p className="breadcrumb">
        <Link href="/licenses">Licenses</Link> /
      </p>
      <PageHeader
        title={current.key}
        actions={
          <>
            <CopyButton text={current.key} label="Copy key" />
            {canWrite && (
              <>
                <button type="button" className="secondary" onClick={() => setEditing(true)}>
                  Edit
                </button>
                <button type="button" className="danger" disabled={busy} onClick={remove}>
                  Delete
                </button>
              </>
            )}
          </>
        }
      >
        License #{current.id} · <StatusBadge status={current.status} />
      </PageHeader>
      <NoticeNote notice={message} />
      <div className="columns">
        <section className="card" aria-labelledby="state-title">
          <h2 id="state-title">State</h2>
          <dl className="pairs">
            <div>
              <dt>Policy</dt>
              <dd>
                {policy ? (
                  <Link href={`/products/${policy.productId}`}>{policy.name}</Link>
                ) : (
                  `#${current.policyId}`
                )}
              </dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{current.expiresAt ? formatDate(current.expiresAt) : 'never'}</dd>
            </div>
            <div>
              <dt>Email</dt>
              <dd>{current.email ?? '—'}</dd>
            </div>
            <div>
              <dt>Customer</dt>
              <dd>
                {current.customerId === null ? (
                  '—'
                ) : (
                  <Link href={`/customers/${current.customerId}`}>
                    {customer && customer.id === current.customerId
                      ? customer.name
                      : `#${current.customerId}`}
                  </Link>
                )}
              </dd>
            </div>
            <div>
              <dt>First activated</dt>
              <dd>{formatDate(current.firstActivatedAt)}</dd>
            </div>
            <div>
              <dt>Last validated</dt>
              <dd>{formatDate(current.lastValidatedAt)}</dd>
            </div>
            <div>
              <dt>Activations / deactivations / resets</dt>
              <dd>
                {current.activationCount} / {current.deactivationCount} / {current.resetCount}
              </dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{current.tags.length ? current.tags.join(', ') : '—'}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDate(current.createdAt)}</dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="features-title">
          <h2 id="features-title">Features</h2>
          {Object.keys(current.features).length === 0 ? (
            <p className="muted">This license carries no feature values.</p>
          ) : (
            <dl className="pairs">
              {Object.entries(current.features).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)}</dd>
                </div>
              ))}
            </dl>
          )}
          {canWrite && (
            <>
              <h3>Actions</h3>
              <div className="actions wrap">
                {current.isSuspended ? (
                  <button
                    type="button"
                    className="secondary"
                    disabled={busy}
                    onClick={() => action('reinstate')}
                  >
                    Reinstate
                  </button>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    disabled={busy || current.status === 'revoked'}
                    onClick={() =>
                      action('suspend', 'Suspend this license? Validations fail until it is reinstated.')
                    }
                  >
                    Suspend
                  </button>
                )}
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() =>
                    action(
                      'reset',
                      'Reset this license? Every machine is deactivated and the counters start over.',
                    )
                  }
                >
                  Reset machines
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={busy || current.status === 'revoked'}
                  onClick={() => action('revoke', 'Revoke this license for good? This cannot be undone.')}
                >
                  Revoke
                </button>
              </div>
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  act(
                    'extend',
                    () => post<License>(`/licenses/${id}/actions/extend`, { seconds: days * 86_400 }),
                    (l) =>
                      `License extended by ${days} day${days === 1 ? '' : 's'}, to ${formatDate(l.expiresAt)}.`,
                  );
                }}
                aria-label="Extend the license"
              >
                <Field label="Extend by days">
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min={1}
                      max={36500}
                      value={days}
                      onChange={(e) => setDays(Number(e.target.value))}
                    />
                  )}
                </Field>
                <button type="submit" className="secondary" disabled={busy}>
                  Extend
                </button>
              </form>
            </>
          )}
        </section>
      </div>
      <Machines
        licenseId={id}
        onChange={(text) => {
          setMessage({ text });
          data.reload();
          events.reload();
        }}
      />
      <div className="columns">
        <Notes key={current.updatedAt} license={current} onSaved={setLicense} />
        <DataObjects licenseId={id} />
      </div>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Event history</h2>
        <Loaded
          state={events}
          rows={(d) => d.data}
          empty={<p className="muted">Nothing has happened to this license yet.</p>}
        >
          {(rows) => (
            <>
              <EventTable events={rows} />
              <Link href={`/events?licenseId=${id}`}>All events of this license</Link>
            </>
          )}
        </Loaded>
      </section>
      <Dialog title="Edit license" open={editing} onClose={() => setEditing(false)}>
        <EditLicense
          license={current}
          onSaved={(next, fields) => {
            setEditing(false);
            changed(next, `License saved: ${fields.join(', ')} changed.`);
          }}
        />
      </Dialog>
    </>
  );
}
